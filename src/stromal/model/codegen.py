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
solver's and this generator's source and the numba version, and is imported
with numba's ``cache=True``: the first process compiles (tens of seconds), the
next ones load machine code from the ``__pycache__`` beside the file. This is
the AMICI design (Fröhlich et al., Bioinformatics 2021,
doi:10.1093/bioinformatics/btab227): one symbolic definition, generated code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numba
import sympy
from sympy.printing.pycode import PythonCodePrinter

GENERATOR_VERSION = "1"


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


def cache_root() -> Path:
    """``$STROMAL_CACHE_DIR`` or ``~/.cache/stromal``."""
    env = os.environ.get("STROMAL_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "stromal"


def cache_key(model: SymbolicModel) -> str:
    """Hash of everything the generated machine code depends on."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for part in (
        model.digest(),
        GENERATOR_VERSION,
        numba.__version__,
        sys.version,
        (here / "solver.py").read_text(encoding="utf-8"),
        (here / "codegen.py").read_text(encoding="utf-8"),
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def _printer() -> PythonCodePrinter:
    return PythonCodePrinter({"fully_qualified_modules": True})


def _function(
    name: str, args: str, exprs: Sequence[tuple[str, Any]], model: SymbolicModel, *, uses_y: bool
) -> list[str]:
    """Source of one ``@njit`` function assigning ``exprs`` (target, expression)."""
    subs: dict[Any, Any] = {}
    unpack: list[str] = []
    if uses_y:
        for i, s in enumerate(model.state_symbols):
            subs[s] = sympy.Symbol(f"_y{i}")
            unpack.append(f"    _y{i} = y[{i}]")
    for i, s in enumerate(model.parameter_symbols):
        subs[s] = sympy.Symbol(f"_p{i}")
        unpack.append(f"    _p{i} = p[{i}]")
    targets = [t for t, _ in exprs]
    values = [sympy.sympify(e).xreplace(subs) for _, e in exprs]
    replacements, reduced = sympy.cse(values, symbols=sympy.numbered_symbols("_c"), optimizations="basic")
    used = set().union(*(sympy.sympify(v).free_symbols for v in [*reduced, *(r for _, r in replacements)]))
    used_names = {str(s) for s in used}
    printer = _printer()
    lines = ["@numba.njit(cache=True, error_model='numpy', inline='always')", f"def {name}({args}):"]
    lines += [line for line in unpack if line.split("=")[0].strip() in used_names]
    lines += [f"    {sym} = {printer.doprint(val)}" for sym, val in replacements]
    lines += [f"    {target} = {printer.doprint(val)}" for target, val in zip(targets, reduced, strict=True)]
    if len(lines) == 2:
        lines.append("    pass")
    return lines


def generate_source(model: SymbolicModel) -> str:
    """Python source of the compiled module for ``model``."""
    n = len(model.state_symbols)
    rhs_exprs = [(f"out[{i}]", e) for i, e in enumerate(model.rhs)]
    jacobian = sympy.Matrix(list(model.rhs)).jacobian(sympy.Matrix(list(model.state_symbols)))
    jac_exprs = [
        (f"out[{i}, {j}]", jacobian[i, j]) for i in range(n) for j in range(n) if jacobian[i, j] != 0
    ]
    init_exprs = [(f"out[{i}]", st.initial) for i, st in enumerate(model.states)]
    obs_exprs = [(f"out[{i}]", ob.expr) for i, ob in enumerate(model.observables)]
    jac_lines = _function("jac", "y, p, out", jac_exprs, model, uses_y=True)
    # The Jacobian is sparse: zero the matrix first, then write the non-zeros.
    jac_lines.insert(2, "    out[:, :] = 0.0")
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
        "\n".join(_function("rhs", "y, p, out", rhs_exprs, model, uses_y=True)),
        "",
        "",
        "\n".join(jac_lines),
        "",
        "",
        "\n".join(_function("initial", "p, out", init_exprs, model, uses_y=False)),
        "",
        "",
        "\n".join(_function("observables", "y, p, out", obs_exprs, model, uses_y=True)),
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
    return rodas4_patient(rhs, jac, y0, p, t_out, dose_t, dose_idx, dose_amt, rtol, atol, max_steps, y_out)
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
    module_name = f"stromal_generated_{key}"
    path = cache_root() / "codegen" / key / f"{module_name}.py"
    if not path.exists():
        _write_atomic(path, generate_source(model))
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only if the file vanished
        raise ImportError(f"cannot import generated model code from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    compiled = CompiledModel(
        key=key,
        path=path,
        module=module,
        n_states=len(model.state_symbols),
        n_params=len(model.parameter_symbols),
        state_names=tuple(s.name for s in model.states),
        observable_names=tuple(o.name for o in model.observables),
        load_seconds=time.perf_counter() - started,
    )
    _LOADED[key] = compiled
    _LOADED_BY_ID[id(model)] = (model, compiled)
    return compiled
