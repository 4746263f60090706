"""Executables where source belongs: an sdist is source, and a pure-Python wheel has nothing
to run natively, so a Windows, Linux or macOS program inside one is a payload waiting for a
loader (or a build artefact nobody meant to ship)."""

from __future__ import annotations

from typing import ClassVar

from warden.checks.base import CLEAN, Artifact, Check, Classification, Evidence, State, Verdict
from warden.checks.builtin.common import archive_facts, is_sdist, verdict

MAGIC = {b"MZ": "Windows program", b"\x7fELF": "Linux program",
         b"\xcf\xfa\xed\xfe": "macOS program", b"\xfe\xed\xfa\xcf": "macOS program",
         b"\xca\xfe\xba\xbe": "macOS program"}
# Where honest projects keep binaries: test fixtures and vendored build helpers.
FIXTURE_DIRS = ("/test/", "/tests/", "/testing/", "/testdata/", "/fixtures/", "/data/",
                "/samples/", "/vendor/", "/_vendor/", "/third_party/")
EXECUTABLE_LIKE = (".exe", ".dll", ".so", ".pyd", ".dylib", ".bin", ".dat", ".scr", ".com",
                   ".sys", ".elf", ".msi", ".tmp", ".cpl", ".ocx", ".node")
SCANNED = 200   # members whose first bytes are read, per archive


class HiddenBinary(Check):
    name = "hidden-binary"
    version = 2
    summary = "Windows, Linux or macOS programs inside an sdist or a pure wheel"
    description = (
        "Reads the first bytes of the members of an sdist or a pure-Python wheel for the "
        "headers of native programs and libraries (PE, ELF, Mach-O). Test fixtures count for "
        "less; a program that the code at install or import starts is malicious.")
    default_state: ClassVar[State] = State.EVALUATION
    time_limit = 20.0

    def scan(self, artifact: Artifact) -> Verdict:
        archive = artifact.archive
        pure = is_sdist(archive) or "-none-any" in artifact.filename
        if not pure:
            return CLEAN
        found: list[Evidence] = []
        fixtures = 0
        for member in [m for m in archive.members if m.is_file][:10_000]:
            if len(found) + fixtures >= SCANNED:
                break
            name = member.name.lower()
            base = name.rsplit("/", 1)[-1]
            if "." in base.lstrip(".") and not base.endswith(EXECUTABLE_LIKE):
                continue   # a program hides with no extension or a native one
            data = archive.read(member.name) if member.size < 3_000_000 else None
            kind = next((k for magic, k in MAGIC.items() if data and data.startswith(magic)),
                        None)
            if kind is None:
                continue
            if any(d in "/" + name for d in FIXTURE_DIRS):
                fixtures += 1
                continue
            found.append(Evidence(member=member.name, rule="native-binary",
                                  excerpt=f"{kind}, {member.size} bytes"))
        if not found:
            return CLEAN
        facts = archive_facts(archive)
        started = [f for f in facts.findings if f.fact.kind == "process"
                   and f.fact.context != "runtime"]
        if started:
            return verdict(Classification.MALICIOUS, 0.9, "a program hidden in the archive "
                           "and code that starts a process on install or import", found)
        # Alone, not flagged: honest projects ship launchers (distlib, pex), DLLs for ctypes
        # and test fixtures this way too.
        return verdict(Classification.INDETERMINATE, 0.5, f"{len(found)} native program(s) in "
                       "a source or pure-Python archive", found)
