import pytest

from warden.lib.env import ConfigError, env_bool, env_size, env_str, parse_size


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv("WARDEN_X_FILE", str(secret))
    assert env_str("WARDEN_X") == "s3cret-value"


def test_setting_both_a_value_and_its_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WARDEN_X", "a")
    monkeypatch.setenv("WARDEN_X_FILE", str(tmp_path / "f"))
    with pytest.raises(ConfigError, match="not both"):
        env_str("WARDEN_X")


def test_an_unreadable_secret_file_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("WARDEN_X_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="WARDEN_X_FILE"):
        env_str("WARDEN_X")


@pytest.mark.parametrize(("text", "expected"), [("1", True), ("false", False), ("ON", True)])
def test_booleans_accept_the_usual_spellings(monkeypatch, text, expected):
    monkeypatch.setenv("WARDEN_B", text)
    assert env_bool("WARDEN_B", not expected) is expected


def test_a_boolean_typo_fails_loudly(monkeypatch):
    monkeypatch.setenv("WARDEN_B", "ture")
    with pytest.raises(ConfigError, match="WARDEN_B"):
        env_bool("WARDEN_B", False)


@pytest.mark.parametrize(("text", "expected"), [
    ("5000", 5000), ("100MiB", 100 * 1024**2), ("2 GiB", 2 * 1024**3), ("64k", 65536)])
def test_sizes_use_binary_units(text, expected):
    assert parse_size(text) == expected


def test_a_size_with_an_unknown_unit_fails_loudly(monkeypatch):
    monkeypatch.setenv("WARDEN_S", "10 parsecs")
    with pytest.raises(ConfigError, match="WARDEN_S"):
        env_size("WARDEN_S", 1)


def test_settings_refuse_a_short_secret_key(monkeypatch, tmp_path):
    import subprocess
    import sys

    env = {"WARDEN_SECRET_KEY": "short", "WARDEN_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "warden.settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "WARDEN_SECRET_KEY must be at least 32 characters" in result.stderr
