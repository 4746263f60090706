import os
import tempfile

# Tests never touch the developer's ./var: each run gets its own data directory.
os.environ.setdefault("WARDEN_DATA_DIR", tempfile.mkdtemp(prefix="warden-test-"))
