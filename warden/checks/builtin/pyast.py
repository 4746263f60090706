"""Behaviours of one Python source, read from its syntax tree (parsed, never compiled or run).

A behaviour is a call that reaches the network, starts a process, runs code, decodes a blob
or reads who and where the host is, with *when* it runs: at install (everything in a
`setup.py`, which pip runs to build), at import (module-level code, and the functions it
calls, transitively), or at run time (only when some caller asks). Libraries that use
subprocess or HTTP do it at run time; malware does it at install or import, because nobody
calls it. That distinction is most of the precision of the built-in checks.

Source that does not parse (Python 2, broken on purpose) falls back to `lexical.py`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from warden.checks.builtin import patterns

INSTALL, IMPORT, RUNTIME = "install", "import", "runtime"


@dataclass(frozen=True)
class Fact:
    """One behaviour: `kind` is network, process, exec, decode, hostinfo or string;
    `detail` what was found (the call, how an exec's code is made, a command's text)."""

    kind: str
    context: str
    line: int
    end: int
    detail: str
    bad: bool = False   # a process command that fetches or hides a stage, a decoded exec


def matches(name: str, table: frozenset[str]) -> bool:
    if name in table:
        return True
    parts = name.split(".")
    return any(".".join(parts[:i]) + ".*" in table for i in range(1, len(parts)))


_STDLIB = frozenset(sys.stdlib_module_names)


def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


class Module:
    """The behaviours of one parsed module.

    Walking the tree is what costs most, and most of a library's code sits in functions that
    run only when asked, so the walk goes in phases: `__init__` walks what runs on load
    (module-level code, class bodies, and the functions those call or hand on by name,
    transitively; in a setup.py every function, since its command classes' methods run at
    install); `reach` walks more functions that other modules call on load; `rest` walks
    the remaining functions as run-time code (only for small files)."""

    def __init__(self, tree: ast.Module, *, install: bool) -> None:
        self.install = install
        self.aliases: dict[str, str] = {}
        self.assigned: dict[str, list[ast.expr]] = {}
        self._names: dict[int, str] = {}
        # Names are tracked per scope ("function:name", ":name" at module level), so that a
        # parameter `cmd` in one function is not the `cmd` another one decoded.
        self.calls: list[tuple[ast.Call, str, tuple[str, ...], str]] = []   # + targets, scope
        self.flows: list[tuple[str, str, tuple[str, ...]]] = []   # scope, name read, targets
        self._locals: dict[str, set[str]] = {}
        self.exec_aliases: list[tuple[ast.Name, str]] = []   # `run = exec`: exec handed on
        self.package_imports: set[str] = set()   # names imported from non-stdlib modules
        self.called: set[str] = set()   # names called or handed on while loading
        self._functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self._walked: set[str] = set()
        self._method_calls: set[tuple[str, str]] = set()   # (instance name, method) on load
        load = INSTALL if install else IMPORT
        # `if __name__ == "__main__":` runs when the file is run as a script: a setup.py is,
        # a module being imported is not.
        self._walk([s for s in tree.body if install or not _is_main_guard(s)], load)
        self.reach(set(self._functions) if install else set())
        self._main = [s for s in tree.body if not install and _is_main_guard(s)]

    def reach(self, names: set[str]) -> None:
        """Walk, as load-time code, the functions named in `names` or called so far."""
        context = INSTALL if self.install else IMPORT
        while True:
            wanted = names | self.called | self._methods_called()
            todo = [key for key in self._functions if key not in self._walked
                    and (key in wanted or (key.endswith(".__init__")
                                           and key.split(".")[0] in wanted))]
            if not todo:
                return
            self._walked.update(todo)
            self._walk_functions(todo, context)

    def _methods_called(self) -> set[str]:
        """`Class.method` for the methods called on load through an instance of a class this
        module defines (`req = Client()` then `req.get(...)`)."""
        found = set()
        for instance, method in self._method_calls:
            for value in self.assigned.get(instance, ())[:3]:
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    found.add(f"{value.func.id}.{method}")
        return found

    def rest(self) -> None:
        """Walk what is left (functions nobody calls on load, the main block) as run-time."""
        self._walk(self._main, RUNTIME)
        self._main = []
        while len(self._walked) < len(self._functions):   # and functions defined in those
            todo = [key for key in self._functions if key not in self._walked]
            self._walked.update(todo)
            self._walk_functions(todo, RUNTIME)

    def _walk_functions(self, keys: list[str], context: str) -> None:
        for key in keys:
            for definition in self._functions[key]:
                arguments = definition.args
                self._locals.setdefault(key, set()).update(
                    a.arg for a in (*arguments.posonlyargs, *arguments.args,
                                    *arguments.kwonlyargs, arguments.vararg, arguments.kwarg)
                    if a is not None)
                self._walk(definition.body, context, key)

    def _walk(self, nodes: list[ast.stmt], context: str, scope: str = "") -> None:
        loading = context != RUNTIME
        todo: list[tuple[ast.AST, tuple[str, ...], str]] = [(n, (), "") for n in nodes]
        while todo:
            node, targets, cls = todo.pop()
            if isinstance(node, ast.Call):
                self.calls.append((node, context, targets, scope))
                if loading and isinstance(node.func, ast.Name):
                    self.called.add(node.func.id)
                elif loading and isinstance(node.func, ast.Attribute) and isinstance(
                        node.func.value, ast.Name):
                    # `req = Client(); req.get(...)`: a method of a class of this module.
                    self._method_calls.add((node.func.value.id, node.func.attr))
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    if targets:
                        self.flows.append((scope, node.id, targets))
                    if node.id in ("exec", "eval"):
                        self.exec_aliases.append((node, context))
                    if loading:   # handed on: Thread(target=f), atexit.register(f)
                        self.called.add(node.id)
                continue
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self._import(node)
                continue
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._functions.setdefault(f"{cls}.{node.name}" if cls else node.name,
                                           []).append(node)
                todo.extend((child, (), "") for child in node.decorator_list)
                continue
            elif isinstance(node, ast.ClassDef):
                todo.extend((child, (), node.name) for child in node.body)
                todo.extend((child, (), "") for child in (*node.bases, *node.keywords))
                continue
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension | ast.withitem):
                # `for chunk in response.iter_content(): f.write(chunk)`, `with urlopen(u) as
                # response:`: the name bound carries what it iterates over or enters.
                source, bound = ((node.context_expr, node.optional_vars)
                                 if isinstance(node, ast.withitem) else (node.iter, node.target))
                names = list(_target_names(bound)) if bound is not None else []
                if scope:
                    self._locals.setdefault(scope, set()).update(names)
                todo.append((source, tuple(f"{scope}:{n}" for n in names) or targets, cls))
                todo.extend((child, targets, cls) for child in ast.iter_child_nodes(node)
                            if child is not source and child is not bound)
                continue
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                targets = self._assign(node, scope) or targets
            todo.extend((child, targets, cls) for child in ast.iter_child_nodes(node))

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else local
        elif node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] not in _STDLIB):
            # `from .blobs import payload`: a value another module of the package carries.
            self.package_imports.update(alias.asname or alias.name for alias in node.names)

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr,
                scope: str) -> tuple[str, ...]:
        if node.value is None:
            return ()
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n for t in targets for n in _target_names(t)]
        for name in names:
            self.assigned.setdefault(name, []).append(node.value)
        if scope:
            self._locals.setdefault(scope, set()).update(names)
        return tuple(f"{scope}:{name}" for name in names)

    def _key(self, scope: str, name: str) -> str:
        return f"{scope}:{name}" if name in self._locals.get(scope, ()) else f":{name}"

    def dotted(self, node: ast.AST) -> str:
        """The call target's name with import aliases undone, or "" when not static."""
        known = self._names.get(id(node))
        if known is None:
            self._names[id(node)] = ""   # `url = url.strip()` refers to itself: stop there
            known = self._names[id(node)] = self._dotted(node)
        return known

    def _dotted(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            if node.id not in self.aliases and len(self.assigned.get(node.id, ())) == 1:
                # `run = eval("o" + "s.sys" + "tem")`, `run = os.system`: the name is
                # another name for a call target.
                value = self.assigned[node.id][0]
                if isinstance(value, ast.Call) and self.dotted(value.func) == "eval" and (
                        value.args and (folded := fold(value.args[0]))):
                    return folded
                if isinstance(value, ast.Attribute | ast.Name) and value is not node:
                    return self.dotted(value)
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else f"?.{node.attr}"
        if isinstance(node, ast.Call):
            func = self.dotted(node.func)
            first = node.args[0] if node.args else None
            second = node.args[1] if len(node.args) > 1 else None
            if func in ("__import__", "importlib.import_module") and isinstance(
                    first, ast.Constant) and isinstance(first.value, str):
                return first.value
            if func == "getattr" and first is not None and second is not None and (
                    attribute := fold(second)):
                return f"{self.dotted(first) or '?'}.{attribute}"
        return ""

    def _tainted(self, test: Callable[[ast.Call], bool]) -> set[str]:
        """Names assigned (directly, or through other names) from a call that passes."""
        names = {t for call, _, targets, _ in self.calls if targets and test(call)
                 for t in targets}
        flows = [(self._key(scope, name), targets) for scope, name, targets in self.flows]
        grown = True
        while grown:
            before = len(names)
            names |= {t for key, targets in flows if key in names for t in targets}
            grown = len(names) > before
        return names

    def _is_decode(self, call: ast.Call) -> bool:
        name = self.dotted(call.func)
        return (matches(name, patterns.DECODE) or name.rsplit(".", 1)[-1] in
                patterns.DECODE_METHODS or name == "chr" or self._is_chr_join(call))

    def _has_decode(self, node: ast.AST, names: set[str], scope: str) -> bool:
        return any((isinstance(sub, ast.Name) and self._key(scope, sub.id) in names)
                   or (isinstance(sub, ast.Call) and self._is_decode(sub))
                   for sub in ast.walk(node))

    def _has_network(self, node: ast.AST, names: set[str], scope: str) -> bool:
        return any((isinstance(sub, ast.Name) and self._key(scope, sub.id) in names)
                   or (isinstance(sub, ast.Call) and self._is_network(self.dotted(sub.func)))
                   for sub in ast.walk(node))

    def _is_chr_join(self, call: ast.Call) -> bool:
        # "".join(chr(c) for c in ...) / "".join(map(chr, ...)): strings built to hide.
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "join"):
            return False
        return any(isinstance(n, ast.Name) and n.id == "chr" for a in call.args
                   for n in ast.walk(a))

    @staticmethod
    def _is_network(name: str) -> bool:
        return matches(name, patterns.NETWORK) and not matches(name, patterns.NETWORK_EXCEPT)

    # --- when code runs ---------------------------------------------------------------

    # --- facts ------------------------------------------------------------------------

    def facts(self) -> Iterator[Fact]:
        self.decoded = self._tainted(self._is_decode)
        self.remote = self._tainted(lambda call: self._is_network(self.dotted(call.func)))
        for call, context, _, scope in self.calls:
            yield from self._call_facts(call, context, scope)
        called = {id(call.func) for call, _, _, _ in self.calls}
        for name, context in self.exec_aliases:
            if id(name) not in called:
                yield Fact("exec-alias", context, name.lineno, name.lineno, name.id)

    def _call_facts(self, call: ast.Call, where: str, scope: str) -> Iterator[Fact]:
        name = self.dotted(call.func)
        line, end = call.lineno, getattr(call, "end_lineno", call.lineno) or call.lineno
        if name in patterns.RUN_CODE or (name.endswith((".exec", ".eval")) and name.startswith(
                ("builtins", "__builtins__", "?"))):
            how = self._exec_source(call, scope)
            yield Fact("exec", where, line, end, how, bad=how in ("decoded", "remote"))
        elif matches(name, patterns.PROCESS) and not matches(name, patterns.PROCESS_EXCEPT):
            text = " ".join(self._strings(call))
            hidden = any(self._has_decode(a, self.decoded, scope)
                         or self._has_network(a, self.remote, scope)
                         for a in _arguments(call))
            yield Fact("process", where, line, end,
                       ("decoded " if hidden else "") + f"{name}: {text}"[:300],
                       bad=hidden or bool(patterns.BAD_COMMAND.search(text))
                       or (where == INSTALL and name in patterns.OPEN_WITH_SHELL))
        elif self._is_network(name):
            # Libraries connect where their caller says; a payload to where it was told.
            target = next((t for t in self._strings(call) if patterns.is_destination(t)), "")
            yield Fact("network", where, line, end, f"{name} {target}"[:300], bad=bool(target))
        elif matches(name, patterns.HOST_INFO):
            yield Fact("hostinfo", where, line, end, name)
        if name.endswith((".write", ".write_bytes", ".write_text", ".writelines")):
            # A dropper: decoded or downloaded content written out (to be started).
            source = next((how for how in (self._argument_source(a, scope)
                                           for a in _arguments(call)) if how), "")
            if source:
                yield Fact("drop", where, line, end, source, bad=True)
        if matches(name, patterns.DECODE):
            yield Fact("decode", where, line, end, name)

    def _argument_source(self, node: ast.AST, scope: str) -> str:
        """"remote" or "decoded" (from a carried blob) when `node` is made so, else ""."""
        if self._has_network(node, self.remote, scope):
            return "remote"
        if self._has_decode(node, self.decoded, scope) and sum(
                len(s) for s in self._constants(node, depth=5)) >= 40:
            return "decoded"
        return ""

    def _exec_source(self, call: ast.Call, scope: str) -> str:
        if not call.args:
            return "dynamic"
        code = call.args[0]
        if self._has_network(code, self.remote, scope):
            return "remote"
        if self._has_decode(code, self.decoded, scope):
            # A blob carried in the source, decoded and run: the packer's shape. Code decoded
            # from input (a remote bootstrap reading stdin) is not hidden in the package.
            carried = sum(len(s) for s in self._constants(code, depth=5))
            if carried >= 40 or self._imports_blob(code):
                return "decoded"
            return "decoded-input"
        if isinstance(code, ast.Constant):
            # exec(b'\\x69\\x6d...'): code written as bytes is code hidden from the reader.
            if isinstance(code.value, bytes) and len(code.value) >= 40:
                return "decoded"
            return "literal"
        return "dynamic"

    def _imports_blob(self, code: ast.AST) -> bool:
        """`exec(b64decode(payload))` with `payload` imported from another module of the
        package (not from the standard library, whose values are input, not blobs)."""
        return any(isinstance(sub, ast.Name) and sub.id in self.package_imports
                   and sub.id not in self.assigned for sub in ast.walk(code))

    def _strings(self, call: ast.Call) -> Iterator[str]:
        """The literal text of a call's arguments, following names to their constants."""
        for arg in _arguments(call):
            yield from self._constants(arg, depth=2)

    def _constants(self, node: ast.AST, depth: int) -> Iterator[str]:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                yield sub.value
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, bytes):
                yield sub.value.decode("latin-1")
            elif isinstance(sub, ast.Name) and depth and sub.id in self.assigned:
                for value in self.assigned[sub.id][:3]:
                    yield from self._constants(value, depth - 1)


def _arguments(call: ast.Call) -> Iterable[ast.expr]:
    yield from call.args
    for keyword in call.keywords:
        yield keyword.value


def _target_names(target: ast.AST) -> Iterator[str]:
    """The names an assignment binds: `a = ...`, `a, (b, *c) = ...`; not `a.x = ...`."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def fold(node: ast.AST, depth: int = 0) -> str:
    """The string a constant expression spells ("o" + "s.sys" + "tem"), or ""."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 50:
        left = fold(node.left, depth + 1)
        right = fold(node.right, depth + 1) if left else ""
        return left + right if right else ""
    return ""


def parse(text: str, *, install: bool) -> Module | None:
    """`text`'s load-time behaviours walked, or None when it does not parse as Python 3."""
    try:
        return Module(ast.parse(text), install=install)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def module_facts(module: Module) -> list[Fact] | None:
    try:
        return list(module.facts())
    except RecursionError:
        return None
