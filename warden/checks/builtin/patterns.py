"""What the built-in checks look for, as data: the calls that reach the network, start
processes, run code or decode blobs, and the strings that name exfiltration channels,
credential stores and autostart locations.

Kept general on purpose: these describe behaviours that malware needs (send data out, run a
second stage, persist), not the names or strings of known samples, so that they hold for
families nobody has seen yet.
"""

from __future__ import annotations

import re

# Calls by their resolved dotted name (import aliases undone, see pyast.py). A name ending in
# ".*" matches every attribute of that module.
NETWORK = frozenset({
    "requests.*", "urllib.request.urlopen", "urllib.request.urlretrieve",
    "urllib.request.Request", "urllib.request.build_opener", "urllib.urlopen",
    "urllib.urlretrieve", "urllib2.urlopen", "urllib2.Request", "http.client.HTTPConnection",
    "http.client.HTTPSConnection", "httplib.HTTPConnection", "httplib.HTTPSConnection",
    "socket.socket", "socket.create_connection", "socket.gethostbyname", "socket.getaddrinfo",
    "httpx.*", "aiohttp.request", "urllib3.request", "ftplib.FTP", "smtplib.SMTP",
    "smtplib.SMTP_SSL", "telnetlib.Telnet",
    "dns.resolver.resolve", "dns.resolver.query", "pycurl.Curl", "discord.SyncWebhook.*",
    "discord_webhook.*", "websocket.*", "paramiko.SSHClient", "asyncio.open_connection",
    "webbrowser.open",
})
PROCESS = frozenset({
    "subprocess.*", "os.system", "os.popen", "os.startfile", "os.execv", "os.execve",
    "os.execl", "os.execle", "os.execlp", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnv",
    "os.spawnlp", "os.spawnvp", "os.posix_spawn", "os.posix_spawnp", "pty.spawn",
    "commands.getoutput", "asyncio.create_subprocess_shell", "asyncio.create_subprocess_exec",
    "win32api.ShellExecute", "ctypes.windll.shell32.ShellExecuteW",
    "ctypes.windll.shell32.ShellExecuteA", "ctypes.windll.kernel32.WinExec",
})
# Opening a file with whatever program the desktop associates with it: a viewer at run time,
# never a build step.
OPEN_WITH_SHELL = frozenset({"os.startfile", "win32api.ShellExecute",
                             "ctypes.windll.shell32.ShellExecuteW",
                             "ctypes.windll.shell32.ShellExecuteA"})
# Not `subprocess.*` helpers that only describe a process.
PROCESS_EXCEPT = frozenset({"subprocess.PIPE", "subprocess.DEVNULL", "subprocess.STDOUT",
                            "subprocess.CalledProcessError", "subprocess.TimeoutExpired",
                            "subprocess.list2cmdline", "subprocess.CompletedProcess",
                            "subprocess.STARTUPINFO", "subprocess.SubprocessError"})
NETWORK_EXCEPT = frozenset({"requests.exceptions.*", "requests.adapters.*",
                            "requests.RequestException", "requests.HTTPError",
                            "requests.ConnectionError", "requests.Timeout",
                            "requests.codes", "requests.utils.*", "requests.auth.*",
                            "requests.structures.*", "requests.compat.*",
                            "requests.packages.*", "requests.status_codes.*",
                            "requests.models.*", "requests.Session", "requests.session",
                            "httpx.Client", "httpx.AsyncClient", "httpx.HTTPError", "httpx.Timeout",
                            "httpx.URL", "httpx.Headers"})
RUN_CODE = frozenset({"exec", "eval", "builtins.exec", "builtins.eval", "__builtins__.exec",
                      "__builtins__.eval", "execfile", "runpy.run_path", "runpy.run_module"})
DECODE = frozenset({
    "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.b85decode",
    "base64.a85decode", "base64.decodebytes", "base64.decodestring", "base64.urlsafe_b64decode",
    "base64.standard_b64decode", "zlib.decompress", "bz2.decompress", "lzma.decompress",
    "gzip.decompress",
    "marshal.loads", "pickle.loads", "codecs.decode", "binascii.unhexlify",
    "binascii.a2b_hex", "binascii.a2b_base64", "bytes.fromhex", "bytearray.fromhex",
    "zlib.decompressobj",
})
# A method call on anything whose name ends so is a decode too (Fernet(...).decrypt, ...).
DECODE_METHODS = frozenset({"decrypt", "b64decode", "decompress", "fromhex", "unhexlify"})
HOST_INFO = frozenset({
    "socket.gethostname", "socket.getfqdn", "getpass.getuser", "os.getlogin", "platform.node",
    "platform.uname", "os.uname", "uuid.getnode", "pwd.getpwuid", "os.getuid",
    "platform.platform", "os.getcwd", "platform.system", "socket.gethostbyname",
})
# Reading every variable, not one named setting.
ENVIRON_DUMP = re.compile(r"\bos\.environ\s*(?:\)|\.copy\(|\.items\(|\.keys\(|\.values\(|$)"
                          r"|(?:dict|str|json\.dumps)\(\s*os\.environ\s*\)", re.MULTILINE)

# A process command that fetches, runs or hides a second stage, or opens a shell: what build
# steps (compilers, git, pkg-config) never need.
BAD_COMMAND = re.compile(
    r"(?<![\w-])(?:curl|wget|powershell|pwsh|mshta|certutil|bitsadmin|rundll32|regsvr32|"
    r"wscript|cscript|nslookup|ncat|socat|schtasks|attrib\s+\+h|reg\s+add|Invoke-WebRequest|"
    r"Invoke-Expression|iex|IEX|DownloadString|DownloadFile|Start-Process|"
    r"FromBase64String)(?![\w-])"
    r"|/dev/tcp/|\bnc\s+-[a-z]*e\b|\bbash\s+-i\b|\bsh\s+-i\b|base64\s+(?:-d|--decode)"
    r"|\bchmod\s+(?:\+x|7\d\d)\s|\bstart\s+/b\b|\.exe\b|\bping\s+-[cn]\s?\d"
    # A DNS lookup from a shell is a way out that no proxy logs.
    r"|(?<![\w-])dig\s+[@+\w]"
    r"|\bpython3?\s+-c\b|\b(?:id|whoami|hostname|uname\s+-a)\b\s*[|;&>]"
    r"|\|\s*(?:ba)?sh\b"
    # Python handed to an interpreter as text: a second stage that reaches out.
    r"|\bimport\s+(?:urllib|requests|socket|base64|subprocess|http)", re.IGNORECASE)

# A downloader told to run what it fetched: piped to a shell, made executable, started, or
# with the host's facts spliced into the request.
FETCH_RUN = re.compile(
    r"(?<![\w-])(?:curl|wget|Invoke-WebRequest|iwr|DownloadString|DownloadFile|certutil"
    r"|bitsadmin)(?![\w-]).*?(?:\|\s*(?:ba|z|da)?sh\b|\bchmod\s+(?:\+x|[0-7]{3})|\$\("
    r"|\biex\b|Invoke-Expression|Start-Process|&&\s*(?:\./|/tmp/|start\b))",
    re.IGNORECASE | re.DOTALL)

# Where stolen data goes. Domains that only tools for exfiltration, out-of-band testing,
# throwaway file hosting or tunnels serve.
EXFIL_HOSTS = re.compile(
    r"(?:hooks\.slack\.com/services/T|cdn\.discordapp\.com/attachments/|pastebin\.com/raw|paste\.ee/|hastebin\.|rentry\.(?:co|org)/|ghostbin\.|"
    r"transfer\.sh|file\.io|anonfiles\.|gofile\.io|0x0\.st|termbin\.com|"
    r"ngrok(?:-free)?\.(?:io|app|dev)|trycloudflare\.com|serveo\.net|localtunnel\.me|"
    r"pipedream\.net|webhook\.site|requestbin\.|requestcatcher\.com|beeceptor\.com|"
    r"oastify\.com|burpcollaborator\.net|interact\.sh|oast\.(?:pro|live|site|online|fun|me)|"
    r"dnslog\.(?:cn|link)|ceye\.io|canarytokens\.(?:com|org)|bxss\.me|xss\.ht|"
    r"ipinfo\.io|api\.ipify\.org|"
    r"ifconfig\.me|icanhazip\.com|ip-api\.com|checkip\.amazonaws\.com)", re.IGNORECASE)
# A hard-coded place to connect to: a URL, a host name, an address.
DESTINATION = re.compile(r"^(?:https?|ftp|wss?)://\S+|^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,12}$"
                         r"|^\d{1,3}(?:\.\d{1,3}){3}$", re.IGNORECASE)
_NOWHERE = re.compile(r"^(?:https?://)?(?:localhost|127\.|0\.0\.0\.0|\[?::1?\]?|[^/]*example\.(?:com|org))",
                      re.IGNORECASE)


def is_destination(text: str) -> bool:
    return bool(DESTINATION.search(text)) and not _NOWHERE.match(text)


# A URL to a bare IPv4 address that is not a private, loopback or documentation one.
RAW_IP_URL = re.compile(r"(?:https?|ftp|tcp)://(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\b")
TELEGRAM_TOKEN = re.compile(r"\b\d{8,10}:AA[\w-]{33}\b")
DISCORD_WEBHOOK = re.compile(r"discord(?:app)?\.com/api/webhooks/\d{10,}/[\w-]{30,}")

# Credential stores and browser profiles: what stealers read, libraries rarely name.
SECRETS = re.compile(
    r"Login Data|Local State|Web Data|\\Cookies\b|/Cookies\b|Local Storage[\\/]+leveldb"
    r"|\.ssh[\\/]+id_|[\\/]\.aws[\\/]+credentials|\.git-credentials|\\Exodus|Electrum"
    r"|[\\/]discord(?:canary|ptb)?[\\/]|Telegram Desktop|wallet\.dat|\.pypirc"
    r"|/etc/shadow|Metamask|keychain-db|\bdiscord token", re.IGNORECASE)
# Places that run programs at log-in or boot.
AUTOSTART = re.compile(
    r"Start Menu[\\/]+Programs[\\/]+Startup|CurrentVersion[\\/]+Run\b|CurrentVersion\\\\Run\b"
    r"|[\\/]LaunchAgents[\\/]|[\\/]etc[\\/]cron|\bcrontab\s+-|[\\/]\.bashrc|[\\/]\.profile\b"
    r"|[\\/]\.zshrc|systemd[\\/]system[\\/]|\bschtasks\b|autostart[\\/]", re.IGNORECASE)

# Cheap pre-filter: a Python file that names none of these cannot trip the behaviour rules,
# so it is not parsed (parsing every file of a large library costs more than the budget).
# Plain substrings, not a regular expression: `in` scans text many times faster than `re`.
RISKY = ("exec", "eval", "system", "popen", "Popen", "fromhex", "unhexlify", "decrypt", "chr(",
         "subprocess", "socket", "urlopen", "requests.", "urllib", "http.client", "httpx",
         "b64decode", "marshal", "decompress",
         "startfile", "spawn", "webhook", "__import__", "getattr(", "ShellExecute",
         "gethostname", "getuser")


def names_any(text: str, tokens: tuple[str, ...]) -> bool:
    return any(token in text for token in tokens)


def raw_ip_is_public(match: re.Match[str]) -> bool:
    first, second = int(match.group(1)), int(match.group(2))
    if first in (0, 10, 127) or first >= 224 or (first == 169 and second == 254):
        return False
    if (first == 172 and 16 <= second <= 31) or (first == 192 and second == 168):
        return False
    return not (first == 192 and second == 0) and not (first == 198 and second in (18, 19))
