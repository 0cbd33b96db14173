"""Generate, cache and load numba-compiled code for a symbolic model.

From one :class:`~stromal.model.definition.ModelDefinition` (SymPy right-hand
side, initial values and observables) this module writes Python source for:

- ``rhs(y, p, out)``: d state / dt per hour;
- ``jac(y, p, out)``: the analytic Jacobian (SymPy ``jacobian`` + ``cse``);
- ``initial(p, out)``: initial state (which may depend on parameters);
- ``observables(y, p, out)``;
- batch drivers (``solve_batch``, ``initial_batch``, ``observables_batch``)
  parallel over patients with ``numba.prange``, which inline the Rodas4 step of
  :mod:`stromal.model.solver`.

The source goes to ``$STROMAL_CACHE_DIR/codegen/<key>/`` (default
``~/.cache/stromal``), where ``key`` hashes the model's ``digest()``, the
source files in ``GENERATED_CODE_SOURCES`` and the numba version, and is imported
with numba's ``cache=True``: the first process compiles (tens of seconds), the
next ones load machine code from the ``__pycache__`` beside the file. This is
the AMICI design (Fröhlich et al., Bioinformatics 2021,
doi:10.1093/bioinformatics/btab227): one symbolic definition, generated code.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import numba

if TYPE_CHECKING:
    from sympy.printing.pycode import PythonCodePrinter

GENERATOR_VERSION = "2"


class _State(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def initial(self) -> Any: ...


class _Observable(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def expr(self) -> Any: ...


class SymbolicModel(Protocol):
    """The part of ``ModelDefinition`` that code generation reads."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def states(self) -> Sequence[_State]: ...
    @property
    def state_symbols(self) -> Sequence[Any]: ...
    @property
    def parameter_symbols(self) -> Sequence[Any]: ...
    @property
    def rhs(self) -> Sequence[Any]: ...
    @property
    def observables(self) -> Sequence[_Observable]: ...
    @property
    def dose_targets(self) -> Mapping[str, str]: ...
    def digest(self) -> str: ...


@dataclass(frozen=True)
class CompiledModel:
    """Handles to a model's compiled functions, with its shape."""

    key: str
    path: Path
    module: ModuleType
    n_states: int
    n_params: int
    state_names: tuple[str, ...]
    observable_names: tuple[str, ...]
    load_seconds: float
    model_version: str = ""
    dose_targets: Mapping[str, str] = field(default_factory=dict)


def cache_root() -> Path:
    """``$STROMAL_CACHE_DIR``, else ``~/.cache/stromal``; if that cannot be
    created (a read-only home), a per-user folder in the temporary directory."""
    env = os.environ.get("STROMAL_CACHE_DIR")
    if env:
        return Path(env)
    home = Path.home() / ".cache" / "stromal"
    try:
        home.mkdir(parents=True, exist_ok=True)
        return home
    except OSError:
        return Path(tempfile.gettempdir()) / f"stromal-cache-{os.getuid()}"


#: The package files whose text shapes the generated code beside the model:
#: the CPU solver and its statuses, this generator, and the CUDA kernel
#: (:mod:`stromal.model.gpu` writes its module next to the CPU one, under the same key).
GENERATED_CODE_SOURCES = ("solver.py", "status.py", "codegen.py", "gpu.py")


def cache_key(model: SymbolicModel, folder: Path | None = None) -> str:
    """Hash of everything the generated machine code depends on.

    ``folder`` holds the ``GENERATED_CODE_SOURCES`` files (default: this
    package's folder; tests pass a copy to show that each file counts).
    """
    here = folder if folder is not None else Path(__file__).resolve().parent
    h = hashlib.sha256()
    for part in (
        model.digest(),
        GENERATOR_VERSION,
        numba.__version__,
        sys.version,
        *((here / name).read_text(encoding="utf-8") for name in GENERATED_CODE_SOURCES),
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def _printer() -> PythonCodePrinter:
    from sympy.printing.pycode import PythonCodePrinter

    return PythonCodePrinter({"fully_qualified_modules": True})


def _names(model: SymbolicModel) -> tuple[dict[Any, Any], list[tuple[Any, Any]]]:
    """Substitution of model symbols by code names (``_y{i}``, ``_p{i}``, ``_a{k}``)
    and the auxiliaries as (code symbol, expression in code symbols), in order."""
    import sympy  # only when code must be generated: keeps warm starts light

    subs: dict[Any, Any] = {}
    for i, s in enumerate(model.state_symbols):
        subs[s] = sympy.Symbol(f"_y{i}")
    for i, s in enumerate(model.parameter_symbols):
        subs[s] = sympy.Symbol(f"_p{i}")
    auxiliaries = getattr(model, "auxiliaries", ())
    for k, a in enumerate(auxiliaries):
        subs[a.symbol] = sympy.Symbol(f"_a{k}")
    aux = [(subs[a.symbol], sympy.sympify(a.expr).xreplace(subs)) for a in auxiliaries]
    return subs, aux


def _function(
    name: str,
    args: str,
    outputs: Sequence[tuple[str, Any]],
    aux: Sequence[tuple[Any, Any]] = (),
    tail: Sequence[str] = (),
) -> list[str]:
    """Source of one ``@njit`` function: auxiliaries in order, then ``outputs``
    (target, expression in code symbols) through common-subexpression
    elimination, then ``tail`` lines."""
    import sympy  # only when code must be generated: keeps warm starts light

    printer = _printer()
    body = [f"    {sym} = {printer.doprint(val)}" for sym, val in aux]
    values = [sympy.sympify(e) for _, e in outputs]
    replacements, reduced = sympy.cse(values, symbols=sympy.numbered_symbols("_c"), optimizations="basic")
    body += [f"    {sym} = {printer.doprint(val)}" for sym, val in replacements]
    body += [f"    {t} = {printer.doprint(v)}" for (t, _), v in zip(outputs, reduced, strict=True)]
    body += [f"    {line}" for line in tail]
    text = "\n".join(body)
    unpack = [f"    _y{i} = y[{i}]" for i in range(_count("_y", text))]
    unpack += [f"    _p{i} = p[{i}]" for i in range(_count("_p", text))]
    used = set(re.findall(r"\b_[yp]\d+\b", text))
    lines = ["@numba.njit(cache=True, error_model='numpy', inline='always')", f"def {name}({args}):"]
    lines += [u for u in unpack if u.split("=")[0].strip() in used]
    lines += body or ["    pass"]
    return lines


def _count(prefix: str, text: str) -> int:
    """1 + the largest index of ``prefix<N>`` names in ``text`` (0 if none)."""
    found = [int(m) for m in re.findall(rf"\b{prefix}(\d+)\b", text)]
    return max(found) + 1 if found else 0


def _jacobian_parts(
    n: int, aux: Sequence[tuple[Any, Any]], rhs: Sequence[Any], ys: Sequence[Any]
) -> tuple[list[tuple[str, Any]], list[str]]:
    """Forward-mode chain rule through the auxiliaries: d aux_k / d y and then
    d rhs_i / d y, as (local name, partial derivative) and assignment lines.

    Differentiating the fully substituted right-hand side instead makes SymPy
    expressions grow with the depth of the auxiliary chain; this stays linear."""
    import sympy  # only when code must be generated: keeps warm starts light

    partials: list[tuple[str, Any]] = []
    tail: list[str] = []
    grad: list[dict[int, str]] = []  # grad[k][j] = name of d aux_k / d y_j (structural non-zeros)
    aux_syms = [sym for sym, _ in aux]

    def terms(prefix: str, expr: Any, upto: int) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for j in range(n):
            d = sympy.diff(expr, ys[j])
            if d != 0:
                partials.append((f"{prefix}y{j}", d))
                found.setdefault(j, []).append(f"{prefix}y{j}")
        for m in range(upto):
            if not grad[m]:
                continue
            d = sympy.diff(expr, aux_syms[m])
            if d == 0:
                continue
            partials.append((f"{prefix}a{m}", d))
            for j, g in grad[m].items():
                found.setdefault(j, []).append(f"{prefix}a{m} * {g}")
        return found

    for k, (_, expr) in enumerate(aux):
        found = terms(f"_d{k}_", expr, k)
        grad.append({})
        for j, parts in found.items():
            tail.append(f"_g{k}_{j} = {' + '.join(parts)}")
            grad[k][j] = f"_g{k}_{j}"
    for i, expr in enumerate(rhs):
        for j, parts in terms(f"_f{i}_", expr, len(aux)).items():
            tail.append(f"out[{i}, {j}] = {' + '.join(parts)}")
    return partials, tail


def _sparse_lu(n: int, pattern: set[tuple[int, int]]) -> list[str]:
    """Straight-line LU of ``W = I/(gamma h) - J`` for the Jacobian's sparsity
    pattern, without pivoting, and the matching triangular solve.

    This is the approach of KPP for stiff chemistry (Damian et al., Comput Chem
    Eng 2002;26:1567-79, doi:10.1016/S0098-1354(02)00128-X; Sandu et al., Atmos
    Environ 1997): the pattern (with fill-in) is known when the code is
    generated, so only structural non-zeros are touched. ``W``'s diagonal is
    dominated by 1/(gamma h) for small h; a pivot below ``tiny`` (or NaN)
    returns False and the solver falls back to the dense pivoted LU. The
    diagonal holds the pivots' inverses afterwards.
    """
    pat = set(pattern) | {(i, i) for i in range(n)}
    for k in range(n):
        for i in range(k + 1, n):
            if (i, k) in pat:
                for j in range(k + 1, n):
                    if (k, j) in pat:
                        pat.add((i, j))
    lines = ["@numba.njit(cache=True, error_model='numpy', inline='always')", "def lu_sparse(w, tiny):"]
    for k in range(n):
        lines.append(f"    if not abs(w[{k}, {k}]) >= tiny:")
        lines.append("        return False")
        lines.append(f"    w[{k}, {k}] = 1.0 / w[{k}, {k}]")
        for i in range(k + 1, n):
            if (i, k) in pat:
                lines.append(f"    w[{i}, {k}] *= w[{k}, {k}]")
                for j in range(k + 1, n):
                    if (k, j) in pat:
                        lines.append(f"    w[{i}, {j}] -= w[{i}, {k}] * w[{k}, {j}]")
    lines.append("    return True")
    lines += [
        "",
        "",
        "@numba.njit(cache=True, error_model='numpy', inline='always')",
        "def solve_sparse(w, b):",
    ]
    for i in range(n):
        terms = [f" - w[{i}, {j}] * b[{j}]" for j in range(i) if (i, j) in pat]
        if terms:
            lines.append(f"    b[{i}] = b[{i}]{''.join(terms)}")
    for i in range(n - 1, -1, -1):
        terms = [f" - w[{i}, {j}] * b[{j}]" for j in range(i + 1, n) if (i, j) in pat]
        lines.append(f"    b[{i}] = (b[{i}]{''.join(terms)}) * w[{i}, {i}]")
    return lines


def generate_source(model: SymbolicModel) -> str:
    """Python source of the compiled module for ``model``.

    Uses the model's auxiliaries (named intermediate quantities) and compact
    right-hand side when it has them, so the generated code computes each
    intermediate once, as the equations in the docs read."""
    import sympy  # only when code must be generated: keeps warm starts light

    n = len(model.state_symbols)
    subs, aux = _names(model)
    compact_rhs = tuple(getattr(model, "compact_rhs", ())) or tuple(model.rhs)
    rhs = [sympy.sympify(e).xreplace(subs) for e in compact_rhs]
    ys = [subs[s] for s in model.state_symbols]
    partials, tail = _jacobian_parts(n, aux, rhs, ys)
    pattern = {
        (int(m.group(1)), int(m.group(2))) for m in (re.match(r"out\[(\d+), (\d+)\]", t) for t in tail) if m
    }
    jac_lines = _function("jac", "y, p, out", partials, aux, tail)
    # The Jacobian is sparse: zero the matrix first, then write the non-zeros.
    # (Explicit loops rather than a slice assignment: the same text compiles for CUDA.)
    jac_lines[2:2] = [
        f"    for _i in range({n}):",
        f"        for _j in range({n}):",
        "            out[_i, _j] = 0.0",
    ]
    init = [(f"out[{i}]", sympy.sympify(st.initial).xreplace(subs)) for i, st in enumerate(model.states)]
    obs = []
    for i, ob in enumerate(model.observables):
        compact = getattr(ob, "compact", None)
        obs.append((f"out[{i}]", sympy.sympify(compact if compact is not None else ob.expr).xreplace(subs)))
    parts = [
        f'"""Generated by stromal.model.codegen for model {model.name!r} version {model.version!r}.',
        "",
        f'Model digest {model.digest()}. Do not edit: regenerated when the model changes."""',
        "",
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
        "from stromal.model.solver import rodas4_patient",
        "",
        f"N_STATES = {n}",
        f"N_PARAMS = {len(model.parameter_symbols)}",
        f"N_OBSERVABLES = {len(model.observables)}",
        "",
        "",
        "\n".join(_function("rhs", "y, p, out", [(f"out[{i}]", e) for i, e in enumerate(rhs)], aux)),
        "",
        "",
        "\n".join(jac_lines),
        "",
        "",
        "\n".join(_sparse_lu(n, pattern)),
        "",
        "",
        "\n".join(_function("initial", "p, out", init)),
        "",
        "",
        "\n".join(_function("observables", "y, p, out", obs, aux)),
        "",
        "",
        _DRIVERS,
    ]
    return "\n".join(parts)


_DRIVER_TEMPLATE = """
@numba.njit(cache=True, error_model="numpy", parallel=PARALLEL)
def solve_batchSUFFIX(params, y0, t_out, dose_t, dose_idx, dose_amt, rtol, atol, max_steps, skip, y_out, status, n_steps):
    for i in numba.prange(params.shape[0]):
        if skip[i]:
            continue
        st, ns = solve_one(
            y0[i], params[i], t_out, dose_t[i], dose_idx[i], dose_amt[i], rtol, atol, max_steps, y_out[i]
        )
        status[i] = st
        n_steps[i] = ns


@numba.njit(cache=True, error_model="numpy", parallel=PARALLEL)
def observables_batchSUFFIX(y, params, out):
    for i in numba.prange(y.shape[0]):
        tmp = np.empty(N_OBSERVABLES)
        for j in range(y.shape[1]):
            observables(y[i, j], params[i], tmp)
            for m in range(N_OBSERVABLES):
                out[m, i, j] = tmp[m]
"""

# One patient, compiled once and shared by both drivers (halves compile time).
_SOLVE_ONE = """
@numba.njit(cache=True, error_model="numpy")
def solve_one(y0, p, t_out, dose_t, dose_idx, dose_amt, rtol, atol, max_steps, y_out):
    return rodas4_patient(
        rhs, jac, lu_sparse, solve_sparse, y0, p, t_out, dose_t, dose_idx, dose_amt, rtol, atol, max_steps, y_out
    )
"""

# Serial twins of the parallel drivers: launching threads costs more than a
# small batch takes (tens of ms on a busy machine).
_DRIVERS = (
    _SOLVE_ONE
    + _DRIVER_TEMPLATE.replace("PARALLEL", "True").replace("SUFFIX", "")
    + _DRIVER_TEMPLATE.replace("PARALLEL", "False").replace("SUFFIX", "_serial")
    + """

@numba.njit(cache=True, error_model="numpy")
def initial_batch(params, out):
    for i in range(params.shape[0]):
        initial(params[i], out[i])


@numba.njit(cache=True, error_model="numpy")
def rhs_one(y, p, out):
    rhs(y, p, out)


@numba.njit(cache=True, error_model="numpy")
def jac_one(y, p, out):
    jac(y, p, out)
"""
)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so concurrent processes (Dask
    workers) never import a half-written module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


_LOADED: dict[str, CompiledModel] = {}
# By object identity too, because ``digest()`` can be slow (it prints SymPy
# expressions); the model object is kept so that its id cannot be reused.
_LOADED_BY_ID: dict[int, tuple[SymbolicModel, CompiledModel]] = {}


def load(model: SymbolicModel) -> CompiledModel:
    """Generate (once per model and solver version) and import the compiled module.

    Machine code compiles lazily at the first call of each batch driver; numba
    caches it beside the generated file, so later processes load it in
    milliseconds. See :func:`stromal.model.engine.warm_up`.
    """
    started = time.perf_counter()
    known = _LOADED_BY_ID.get(id(model))
    if known is not None and known[0] is model:
        return known[1]
    key = cache_key(model)
    if key in _LOADED:
        _LOADED_BY_ID[id(model)] = (model, _LOADED[key])
        return _LOADED[key]
    path = _module_path(key)
    if not path.exists():
        _write_atomic(path, generate_source(model))
    compiled = CompiledModel(
        key=key,
        path=path,
        module=_import_generated(key, path),
        n_states=len(model.state_symbols),
        n_params=len(model.parameter_symbols),
        state_names=tuple(s.name for s in model.states),
        observable_names=tuple(o.name for o in model.observables),
        load_seconds=time.perf_counter() - started,
        model_version=model.version,
        dose_targets=dict(model.dose_targets),
    )
    _LOADED[key] = compiled
    _LOADED_BY_ID[id(model)] = (model, compiled)
    return compiled


def _module_path(key: str) -> Path:
    return cache_root() / "codegen" / key / f"stromal_generated_{key}.py"


def _import_generated(key: str, path: Path) -> ModuleType:
    module_name = f"stromal_generated_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only if the file vanished
        raise ImportError(f"cannot import generated model code from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


# The files whose text decides the default model's generated code. Parameter
# values are not among the inputs of the code (they are runtime arrays), so
# a calibration run does not force a recompile.
_DEFAULT_MODEL_SOURCES = (
    "definition.py",
    "version.py",
    "parameters.py",
    "distributions.py",
    *GENERATED_CODE_SOURCES,
)
_DEFAULT: dict[str, CompiledModel] = {}


@functools.cache  # the source files do not change within a process; hash them once
def _default_source_key() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for part in (GENERATOR_VERSION, numba.__version__, sys.version):
        h.update(part.encode("utf-8") + b"\0")
    for name in _DEFAULT_MODEL_SOURCES:
        h.update((here / name).read_bytes() + b"\0")
    return h.hexdigest()[:20]


def load_default() -> CompiledModel:
    """The compiled code of ``stromal.model.definition.MODEL``, without building
    the SymPy model when its code is already cached.

    Importing SymPy, building the model and hashing it cost 1–2 s, all of it
    spent again by every ``stromal trial`` although the compiled code depends
    only on the model's source files. An index keyed by their hash records
    which generated module belongs to them and the layout the engine needs,
    so a warm start imports that module and nothing symbolic.
    """
    started = time.perf_counter()
    source_key = _default_source_key()
    if source_key in _DEFAULT:
        return _DEFAULT[source_key]
    index = cache_root() / "codegen" / f"default-{source_key}.json"
    compiled: CompiledModel | None = None
    try:
        meta = json.loads(index.read_text(encoding="utf-8"))
        path = _module_path(meta["key"])
        if path.exists():
            compiled = CompiledModel(
                key=meta["key"],
                path=path,
                module=_import_generated(meta["key"], path),
                n_states=int(meta["n_states"]),
                n_params=int(meta["n_params"]),
                state_names=tuple(meta["state_names"]),
                observable_names=tuple(meta["observable_names"]),
                load_seconds=time.perf_counter() - started,
                model_version=str(meta["model_version"]),
                dose_targets=dict(meta["dose_targets"]),
            )
    except (OSError, ValueError, KeyError, TypeError):
        compiled = None  # no index yet, or a stale/corrupt one: rebuild it below
    if compiled is None:
        from stromal.model.definition import MODEL

        compiled = load(MODEL)
        meta = {
            "key": compiled.key,
            "n_states": compiled.n_states,
            "n_params": compiled.n_params,
            "state_names": list(compiled.state_names),
            "observable_names": list(compiled.observable_names),
            "model_version": compiled.model_version,
            "dose_targets": dict(compiled.dose_targets),
        }
        _write_atomic(index, json.dumps(meta, indent=1))
    _DEFAULT[source_key] = compiled
    return compiled
