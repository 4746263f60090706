"""The built-in checks, one module each, registered under the `warden.checks` entry point group."""
