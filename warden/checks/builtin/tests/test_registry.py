from warden.checks.base import State
from warden.checks.registry import installed

BUILT_IN = {
    "install-time-code": State.ENABLED, "import-time-code": State.ENABLED,
    "obfuscated-code": State.ENABLED, "exfiltration-channel": State.ENABLED,
    "hidden-binary": State.EVALUATION, "metadata-signals": State.EVALUATION,
}


def test_built_in_checks_are_registered_through_the_entry_point_group():
    checks = installed()
    for name, state in BUILT_IN.items():
        assert checks[name].__module__.startswith("warden.checks.builtin."), name
        assert checks[name].default_state is state
