"""Mutation testing of pgbook's doctests: change one constant of a function, and its doctest must fail.

    .venv/bin/python tools/mutate_doctests.py                 # every module of pgbook/ and pgbook/theory/
    .venv/bin/python tools/mutate_doctests.py exact gradients # some modules (names or files)
    .venv/bin/python tools/mutate_doctests.py --no-operators exact

For each function of the named modules (public or private, numba kernels included), every numeric
literal of its body is changed in turn (an int n to n + 1, a float x to 1.5 x, 0.0 to 1.0), and with
``--operators`` (the default) every ``+``, ``-``, ``*``, ``/`` to its opposite. Each mutant is run
against the doctests of the public functions of the named modules that reach the mutated one through
pgbook's own calls (found with ``ast``: with ``exact _evaluation``, a kernel of
``pgbook/_evaluation.py`` is exercised by the doctests of ``pgbook.exact.value``,
``pgbook.exact.evaluate``, ...; name a private module together with the public ones that call it);
a mutant whose doctests all still pass is a
*survivor*, printed with its file:line and the change. Literals in a default argument, a decorator,
an annotation or a string are left alone; a survivor inside an ``if`` that raises or inside a
``raise`` is marked ``[guard]`` (an input check: doctests show the happy path, the unit tests the
errors) and a float below 1e-6 ``[tol]`` (a tolerance).

The working tree is never touched: the package is copied to a temporary directory, and one worker
process (``NUMBA_DISABLE_JIT=1``, so that a mutated kernel runs at once, without compiling) writes
each mutant there, imports pgbook afresh and runs the doctests with the options pytest uses
(``ELLIPSIS``, warnings as errors). A mutant that takes longer than ``--timeout`` seconds, or kills
the worker, counts as caught. Not part of ``make test`` (minutes, not seconds); see README.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "pgbook"


# ---------------------------------------------------------------------------------------------------
# Reading the package: functions, what they call, their doctests.


@dataclass
class Function:
    module: str  # "pgbook.exact"
    qualname: str  # "value" or "MDP.replace"
    node: ast.AST
    refs: set  # {(module, qualname)} this function's body names
    public: bool


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def module_path(name: str) -> Path:
    base = ROOT.joinpath(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _resolve_from(module: str, level: int, target: str | None, is_package: bool) -> str:
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


def index_package() -> dict[tuple[str, str], Function]:
    """Every function and method of pgbook (viz aside), with the pgbook functions its body refers to."""
    paths = sorted(p for p in (ROOT / PACKAGE).rglob("*.py") if "viz" not in p.relative_to(ROOT).parts)
    modules = {module_name(p): p for p in paths}
    functions: dict[tuple[str, str], Function] = {}
    scopes = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        is_package = path.name == "__init__.py"
        # name in this module -> ("module", modname) or ("object", modname, objname)
        scope: dict[str, tuple] = {}
        classes: dict[str, list[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = _resolve_from(name, node.level, node.module, is_package)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        scope[alias.asname or alias.name] = ("module", full)
                    else:
                        scope[alias.asname or alias.name] = ("object", base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE and alias.asname:
                        scope[alias.asname] = ("module", alias.name)
                    elif alias.name == PACKAGE:
                        scope[PACKAGE] = ("module", PACKAGE)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scope[node.name] = ("object", name, node.name)
                functions[(name, node.name)] = Function(name, node.name, node, set(), _public(name, node.name))
            elif isinstance(node, ast.ClassDef):
                scope[node.name] = ("object", name, node.name)
                classes[node.name] = []
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        qual = f"{node.name}.{item.name}"
                        classes[node.name].append(qual)
                        public = _public(name, node.name) and (not item.name.startswith("_") or item.name == "__init__")
                        functions[(name, qual)] = Function(name, qual, item, set(), public)
        scopes[name] = (scope, classes)

    def lookup(module: str, objname: str, depth: int = 0) -> list[tuple[str, str]]:
        """The functions an object name of ``module`` stands for (a class: all its methods)."""
        scope, classes = scopes.get(module, ({}, {}))
        if objname in classes:
            return [(module, q) for q in classes[objname]]
        if (module, objname) in functions:
            return [(module, objname)]
        entry = scope.get(objname)  # re-exported (pgbook.value is pgbook.exact.value)
        if entry and entry[0] == "object" and depth < 5 and entry[1:] != (module, objname):
            return lookup(entry[1], entry[2], depth + 1)
        if entry and entry[0] == "module":
            return []
        return []

    for (module, qual), fn in functions.items():
        scope, classes = scopes[module]
        methods = {q.split(".")[1]: q for qs in classes.values() for q in qs}
        for node in ast.walk(fn.node):
            if isinstance(node, ast.Name) and node.id in scope and scope[node.id][0] == "object":
                fn.refs.update(lookup(scope[node.id][1], scope[node.id][2]))
            elif isinstance(node, ast.Attribute):
                chain = []
                value = node
                while isinstance(value, ast.Attribute):
                    chain.append(value.attr)
                    value = value.value
                if isinstance(value, ast.Name) and value.id in scope and scope[value.id][0] == "module":
                    # pgbook.envs.chain, kernels.sample, _evaluation.factor
                    target = scope[value.id][1]
                    chain.reverse()
                    while len(chain) > 1 and f"{target}.{chain[0]}" in scopes:
                        target = f"{target}.{chain.pop(0)}"
                    fn.refs.update(lookup(target, chain[0]))
                elif node.attr in methods and not isinstance(value, ast.Name) or (
                        isinstance(value, ast.Name) and value.id not in scope and node.attr in methods):
                    # c.positive(...), self.grid(...): a method of a class of this module
                    fn.refs.add((module, methods[node.attr]))
    return functions


def _public(module: str, name: str) -> bool:
    return not any(part.startswith("_") for part in module.split(".")[1:]) and not name.startswith("_")


def reach(functions) -> dict[tuple[str, str], set]:
    """For every function, the public functions whose bodies reach it (itself included if public)."""
    testers = {key: set() for key in functions}
    for key, fn in functions.items():
        if not fn.public:
            continue
        seen, todo = {key}, [key]
        while todo:
            for ref in functions[todo.pop()].refs:
                if ref in functions and ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        for k in seen:
            testers[k].add(key)
    return testers


# ---------------------------------------------------------------------------------------------------
# Mutants.


@dataclass
class Mutant:
    path: str  # relative to ROOT
    line: int
    start: tuple  # (line, byte col) of the replaced text
    end: tuple
    old: str
    new: str
    module: str  # "pgbook.exact"
    function: str  # "pgbook.exact.value"
    kind: str  # "literal" or "operator"
    tag: str  # "", "guard" or "tol"
    tests: list  # doctest names to run
    isolate: bool  # run in a fresh worker and end it after: the function writes raw memory (ctypes)


def _skipped_nodes(fn: ast.AST) -> set:
    """Nodes whose literals are not the function's computation: defaults, decorators, annotations,
    the docstring and f-string internals."""
    skip = set()
    roots = list(fn.decorator_list) + list(fn.args.defaults) + [d for d in fn.args.kw_defaults if d is not None]
    if fn.returns is not None:
        roots.append(fn.returns)
    for arg in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs:
        if arg.annotation is not None:
            roots.append(arg.annotation)
    for node in ast.walk(fn):
        if isinstance(node, (ast.JoinedStr, ast.AnnAssign)):
            roots.append(node.annotation if isinstance(node, ast.AnnAssign) else node)
    for root in roots:
        skip.update(id(n) for n in ast.walk(root))
    return skip


def _guards(fn: ast.AST) -> set:
    """Nodes inside an input check: the test of an ``if`` whose body raises, or a ``raise``."""
    marked = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.If) and any(isinstance(s, ast.Raise) for s in node.body):
            marked.update(id(n) for n in ast.walk(node.test))
        elif isinstance(node, (ast.Raise, ast.Assert)):
            marked.update(id(n) for n in ast.walk(node))
    return marked


def _mutated_literal(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return value + 1
    if value == 0.0:
        return 1.0
    return value * 1.5


_OPPOSITE = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*")}


def mutants_of(fn: Function, path: Path, lines: list[bytes], tests: list[str], operators: bool) -> list[Mutant]:
    skip, guards = _skipped_nodes(fn.node), _guards(fn.node)
    body = fn.node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        skip.update(id(n) for n in ast.walk(body[0]))
    out = []
    rel = str(path.relative_to(ROOT))
    name = f"{fn.module}.{fn.qualname}"
    # A mutant of a function that hands addresses to LAPACK can corrupt the worker's memory, and
    # with it the mutants run after it: each gets a worker of its own.
    isolate = ".ctypes" in _text(lines, (fn.node.lineno, 0), (fn.node.end_lineno, len(lines[fn.node.end_lineno - 1])))
    for node in ast.walk(fn.node):
        if id(node) in skip:
            continue
        tag = "guard" if id(node) in guards else ""
        if isinstance(node, ast.Constant):
            new = _mutated_literal(node.value)
            if new is None:
                continue
            old = _text(lines, (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset))
            if isinstance(node.value, float) and 0 < abs(node.value) < 1e-6 and not tag:
                tag = "tol"
            out.append(Mutant(rel, node.lineno, (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                              old, repr(new), fn.module, name, "literal", tag, tests, isolate))
        elif operators and isinstance(node, ast.BinOp) and type(node.op) in _OPPOSITE:
            sym, opposite = _OPPOSITE[type(node.op)]
            # The operator sits between the operands, after any closing parentheses of the left one.
            start, end = (node.left.end_lineno, node.left.end_col_offset), (node.right.lineno, node.right.col_offset)
            between = _text(lines, start, end)
            at = between.find(sym)
            while at >= 0 and between[at + 1: at + 2] in ("*", "/"):  # not ** or //
                at = between.find(sym, at + 2)
            if at < 0:
                continue
            line, col = _advance(lines, start, between[:at])
            out.append(Mutant(rel, line, (line, col), (line, col + 1), sym, opposite, fn.module, name, "operator", tag, tests, isolate))
    return out


def _text(lines: list[bytes], start: tuple, end: tuple) -> str:
    (l0, c0), (l1, c1) = start, end
    if l0 == l1:
        return lines[l0 - 1][c0:c1].decode()
    chunk = [lines[l0 - 1][c0:]] + lines[l0:l1 - 1] + [lines[l1 - 1][:c1]]
    return b"".join(chunk).decode()


def _advance(lines: list[bytes], start: tuple, text: str) -> tuple:
    line, col = start
    for ch in text.encode():
        if ch == ord("\n"):
            line, col = line + 1, 0
        else:
            col += 1
    return line, col


def apply(source: bytes, m: dict) -> bytes:
    lines = source.splitlines(keepends=True)
    (l0, c0), (l1, c1) = m["start"], m["end"]
    head = b"".join(lines[: l0 - 1]) + lines[l0 - 1][:c0]
    tail = lines[l1 - 1][c1:] + b"".join(lines[l1:])
    return head + m["new"].encode() + tail


# ---------------------------------------------------------------------------------------------------
# The worker: runs in the temporary copy, with NUMBA_DISABLE_JIT=1.


def import_from(root: Path) -> bool:
    """Make ``import pgbook`` load the package under ``root``; False (and a message) if it cannot."""
    import importlib

    # An editable install (pip install -e .) maps pgbook to its working tree through a finder
    # consulted whatever sys.path says: drop it.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__name__", type(f).__name__).lower()
                        and "editable" not in getattr(f, "__module__", "").lower()]
    sys.path.insert(0, str(root))
    loaded = Path(importlib.import_module(PACKAGE).__file__).resolve()
    if root.resolve() not in loaded.parents:
        print(f"mutate_doctests: importing pgbook loads {loaded}, not the copy under {root}", file=sys.stderr)
        return False
    return True


MARK = "@@mutant "  # starts the worker's result lines
WRONG_COPY = 3  # the worker's exit status when it would test the working tree instead of the copy


class Timeout(KeyboardInterrupt):
    """Raised by the alarm; a KeyboardInterrupt, so that doctest lets it through instead of
    recording it as one example's failure and running on."""


def _first_failure_runner():
    import doctest

    class FirstFailure(doctest.DocTestRunner):
        """Keeps the first failing example and what it gave instead."""

        first = ""

        def report_failure(self, out, test, example, got):
            if not self.first:
                self.first = f"{example.source.strip()} | got {got.strip()}"[:300]

        def report_unexpected_exception(self, out, test, example, exc_info):
            if not self.first:
                self.first = f"{example.source.strip()} | {exc_info[0].__name__}: {exc_info[1]}"[:300]

    return FirstFailure


def run_tests(names: list[str]) -> tuple[bool, str]:
    """Import pgbook afresh and run the named doctests; (all passed, the first failure's summary)."""
    import doctest
    import importlib
    import warnings

    for mod in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[mod]
    finder = doctest.DocTestFinder()
    _FirstFailure = _first_failure_runner()
    by_module: dict[str, list[str]] = {}
    for name in names:
        by_module.setdefault(name.rsplit("|", 1)[0], []).append(name.rsplit("|", 1)[1])
    for modname, wanted in by_module.items():
        module = importlib.import_module(modname)
        tests = {t.name: t for t in finder.find(module, modname)}
        for testname in wanted:
            test = tests.get(testname)
            if test is None:
                return False, f"{testname}: doctest not found"
            runner = _FirstFailure(optionflags=doctest.ELLIPSIS)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                result = runner.run(test, out=lambda text: None)
            if result.failed:
                return False, f"{testname}: {runner.first}"
    return True, ""


def worker(job_path: str, start_index: int) -> None:
    import signal

    job = json.loads(Path(job_path).read_text())
    timeout = job["timeout"]
    if not import_from(Path(job["root"])):
        raise SystemExit(WRONG_COPY)

    def alarm(signum, frame):
        raise Timeout()

    signal.signal(signal.SIGALRM, alarm)
    for i, m in enumerate(job["mutants"]):
        if i < start_index:
            continue
        if m.get("isolate") and i > start_index:
            return  # an isolated mutant starts a fresh worker
        path = Path(job["root"]) / m["path"] if m["kind"] != "baseline" else None
        original = path.read_bytes() if path else b""
        if path:
            path.write_bytes(apply(original, m))
        t0 = time.perf_counter()
        signal.alarm(timeout)
        try:
            passed, detail = run_tests(m["tests"])
        except Timeout:
            passed, detail = False, f"timeout ({timeout} s)"
        except BaseException as err:  # a mutant that breaks the import kills nothing but itself
            passed, detail = False, f"{type(err).__name__}: {err}"[:300]
        finally:
            signal.alarm(0)
            if path:
                path.write_bytes(original)
        # On a line of its own, marked: a mutant may print anything, even half a line.
        print(f"\n{MARK}" + json.dumps({"i": i, "passed": passed, "detail": detail,
                                        "seconds": time.perf_counter() - t0}), flush=True)
        if m.get("isolate"):
            return


def run_worker(root: Path, mutants: list[dict], timeout: int, progress: bool) -> list[dict]:
    job = root / "job.json"
    job.write_text(json.dumps({"root": str(root), "timeout": timeout, "mutants": mutants}))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(root),
               NUMBA_CACHE_DIR=str(root / "numba-cache"))
    results: list[dict | None] = [None] * len(mutants)
    start = 0
    while start < len(mutants):
        before = start
        proc = subprocess.Popen([sys.executable, "-I", "-c",
                                 # -I ignores PYTHONDONTWRITEBYTECODE: a cached .pyc of the same size and second
                                 # would otherwise stand in for the next mutant's source.
                                 f"import sys; sys.dont_write_bytecode = True; sys.path.insert(0, {str(root)!r}); "
                                 f"sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                                 f"import mutate_doctests as m; m.worker({str(job)!r}, {start})"],
                                cwd=root, env=env, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if not line.startswith(MARK):
                continue
            r = json.loads(line[len(MARK):])
            results[r["i"]] = r
            start = r["i"] + 1
            if progress:
                done = sum(x is not None for x in results)
                print(f"\r  {done}/{len(mutants)} mutants run", end="", file=sys.stderr, flush=True)
        proc.wait()
        if proc.returncode == WRONG_COPY:
            raise SystemExit(1)
        if start < len(mutants) and (proc.returncode != 0 or start == before):
            results[start] = {"i": start, "passed": False, "detail": f"worker died ({proc.returncode})", "seconds": 0}
            start += 1
    if progress:
        print(file=sys.stderr)
    return results


# ---------------------------------------------------------------------------------------------------


def targets(args: list[str]) -> list[str]:
    if not args:
        paths = sorted((ROOT / PACKAGE).glob("*.py")) + sorted((ROOT / PACKAGE / "theory").glob("*.py"))
        return [module_name(p) for p in paths]
    out = []
    for a in args:
        if a.endswith(".py") or os.sep in a:
            out.append(module_name(Path(a).resolve()))
        elif a.startswith(PACKAGE + ".") or a == PACKAGE:
            out.append(a)
        else:
            out.append(f"{PACKAGE}.{a}")
        if not module_path(out[-1]).exists():
            raise SystemExit(f"mutate_doctests: no module {out[-1]} ({module_path(out[-1])})")
    return out


def doctest_names(functions) -> dict[tuple[str, str], list[str]]:
    """The doctests (with examples) of each public function: "module|test name"."""
    import doctest
    import importlib

    if not import_from(ROOT):
        raise SystemExit(1)
    finder = doctest.DocTestFinder()
    found = {}
    for module in sorted({fn.module for fn in functions.values()}):
        if any(part.startswith("_") for part in module.split(".")[1:]):
            continue
        try:
            mod = importlib.import_module(module)
        except Exception as err:  # noqa: BLE001
            print(f"mutate_doctests: cannot import {module}: {err}", file=sys.stderr)
            continue
        for t in finder.find(mod, module):
            if t.examples:
                found[t.name] = f"{module}|{t.name}"
    out = {}
    for key, fn in functions.items():
        if not fn.public:
            continue
        names = [f"{fn.module}.{fn.qualname}"]
        if fn.qualname.endswith(".__init__"):
            names.append(f"{fn.module}.{fn.qualname.split('.')[0]}")
        out[key] = [found[n] for n in names if n in found]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names (exact, theory.landscape) or files")
    parser.add_argument("--no-operators", dest="operators", action="store_false",
                        help="mutate numeric literals only, not + - * /")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per mutant (default 60)")
    parser.add_argument("--json", help="also write every mutant and its outcome to this file")
    args = parser.parse_args(argv)

    wanted = targets(args.modules)
    functions = index_package()
    testers = reach(functions)
    doctests = doctest_names(functions)
    mutants, untested = [], []
    for key, fn in sorted(functions.items()):
        if fn.module not in wanted:
            continue
        # Its own doctest first (the likeliest to fail, and the run stops at the first failure).
        tests = sorted({t for p in testers[key] if p[0] in wanted for t in doctests.get(p, [])},
                       key=lambda t: (t.split("|")[1] != f"{fn.module}.{fn.qualname}", t))
        path = module_path(fn.module)
        lines = path.read_bytes().splitlines(keepends=True)
        found = mutants_of(fn, path, lines, tests, args.operators)
        if found and not tests:
            untested.append((f"{fn.module}.{fn.qualname}", len(found)))
            continue
        mutants.extend(found)

    with tempfile.TemporaryDirectory(prefix="pgbook-mutants-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / PACKAGE, root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.nb[ic]"))
        jobs = [asdict(m) for m in mutants]
        # Each doctest unmutated first: one that fails as it is would make every mutant look caught.
        names = sorted({t for m in mutants for t in m.tests})
        t0 = time.perf_counter()
        base = run_worker(root, [{"path": "", "kind": "baseline", "tests": [t]} for t in names], args.timeout, False)
        broken = {t for t, r in zip(names, base) if not r["passed"]}
        for name in sorted(broken):
            print(f"doctest fails unmutated, its mutants are skipped: {name.split('|')[1]}")
        jobs = [j for j in jobs if not broken & set(j["tests"])]
        results = run_worker(root, jobs, args.timeout, sys.stderr.isatty())
        elapsed = time.perf_counter() - t0

    by_module: dict[str, dict] = {}
    survivors = []
    for j, r in zip(jobs, results):
        mod = j["module"]
        stats = by_module.setdefault(mod, {"literal": [0, 0], "operator": [0, 0]})
        stats[j["kind"]][0] += 1
        if r["passed"]:
            survivors.append(j)
        else:
            stats[j["kind"]][1] += 1
    print(f"{'module':32} {'literals':>9} {'caught':>7} {'operators':>10} {'caught':>7}")
    for mod, s in sorted(by_module.items()):
        print(f"{mod:32} {s['literal'][0]:9d} {s['literal'][1]:7d} {s['operator'][0]:10d} {s['operator'][1]:7d}")
    total = len(jobs)
    print(f"{total} mutants, {total - len(survivors)} caught, {len(survivors)} survived ({elapsed:.0f} s)")
    if survivors:
        print("\nsurvivors (the doctests still pass with this change):")
        for j in survivors:
            tag = f" [{j['tag']}]" if j["tag"] else ""
            print(f"  {j['path']}:{j['line']}: {j['old']} -> {j['new']} in {j['function'].split('.', 1)[1]}{tag}")
    if untested:
        print("\nfunctions no public doctest reaches (not mutated):")
        for name, n in untested:
            print(f"  {name} ({n} mutants)")
    if args.json:
        Path(args.json).write_text(json.dumps([j | {"passed": r["passed"], "detail": r["detail"]}
                                               for j, r in zip(jobs, results)], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
