"""warden-install: pip, but every byte it installs is checked against the index's TUF metadata.

Deliberately independent of Django and of the `warden` package: a client machine installs
only tuf, securesystemslib, packaging and pip (see cli.py for usage).
"""
