from tests.dists import tar_file, tar_gz_bytes
from warden.checks.base import Artifact, Classification
from warden.checks.builtin.unscreenable import UnscreenableArchive

from .helpers import scan, sdist, wheel


def test_a_decoy_setup_py_shadowing_the_real_one_goes_to_review():
    data = tar_gz_bytes([tar_file("demo-1.0/setup.py", b"from setuptools import setup\n"),
                         tar_file("demo-1.0/setup.py", b"import os\nos.system('id')\n")])
    verdict = UnscreenableArchive().scan(Artifact("demo-1.0.tar.gz", data))
    assert verdict.classification is Classification.SUSPICIOUS
    assert "share a name" in verdict.message


def test_ordinary_sdists_and_wheels_are_clean():
    assert scan(UnscreenableArchive, sdist({"setup.py": "print(1)\n"})).classification \
        is Classification.CLEAN
    assert scan(UnscreenableArchive, wheel({"demo/x.py": "y = 2\n"})).classification \
        is Classification.CLEAN
