from tests.dists import sdist_bytes, wheel_bytes
from warden.checks.base import Artifact, Classification
from warden.checks.builtin.binaries import HiddenBinary

from .helpers import flagged, source

ELF = b"\x7fELF\x02\x01\x01" + bytes(200)
PE = b"MZ\x90\x00" + bytes(200)


def test_program_hidden_in_an_sdist_and_started_at_install_is_malicious():
    dist = sdist_bytes("demo", "1.0", {
        "demo-1.0/demo/helper": ELF,
        "demo-1.0/setup.py": source("""
import os, subprocess
from setuptools import setup
subprocess.Popen([os.path.join("demo", "helper")])
setup(name="demo")
""")})
    verdict = HiddenBinary().scan(Artifact(dist.filename, dist.data))
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.evidence[0].member == "demo-1.0/demo/helper"


def test_dll_shipped_for_ctypes_is_reported_but_not_flagged():
    dist = wheel_bytes("demo", "1.0", {"demo/bin/libopus.dll": PE})
    verdict = HiddenBinary().scan(Artifact(dist.filename, dist.data))
    assert verdict.classification is Classification.INDETERMINATE
    assert not flagged(verdict)


def test_platform_wheel_with_extension_modules_is_clean():
    dist = wheel_bytes("demo", "1.0", {"demo/_speedups.so": ELF},
                       tag="cp311-cp311-manylinux_2_28_x86_64")
    verdict = HiddenBinary().scan(Artifact(dist.filename, dist.data))
    assert verdict.classification is Classification.CLEAN
