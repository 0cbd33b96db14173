"""Optional GPU path: the same Rodas4 method, one CUDA thread per patient.

Used by :func:`stromal.model.engine.simulate_cohort` when ``backend`` is
"gpu", or "auto" and a CUDA GPU is usable. Each thread integrates one patient
with its own adaptive step (as on the CPU: no lockstep), with scratch arrays
in thread-local memory sized by the model's number of states. The method,
coefficients and step control are those of :mod:`stromal.model.solver`
(Hairer & Wanner 1996, RODAS); the kernel is written out here because CUDA
device code cannot take the model's functions as arguments.

No GPU is needed to test it: numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``)
runs the same kernel on the CPU, and tests compare it with the CPU solver.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from stromal.model import codegen

if TYPE_CHECKING:
    from stromal.model.codegen import CompiledModel, SymbolicModel

THREADS_PER_BLOCK = 64


@functools.cache
def gpu_available() -> bool:
    """True when numba can use a CUDA GPU (checked once per process).

    A cheap look for the NVIDIA driver comes first, because importing
    ``numba.cuda`` costs about half a second and most machines have no GPU.
    """
    driver = Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists()
    if not driver and os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        return False
    try:
        from numba import cuda

        return bool(cuda.is_available())  # type: ignore[no-untyped-call]
    except Exception:
        return False


_KERNEL = """

@cuda.jit(device=True)
def lu_factor(a, piv, n):
    for kk in range(n):
        pp = kk
        big = abs(a[kk, kk])
        for i in range(kk + 1, n):
            v = abs(a[i, kk])
            if v > big:
                big = v
                pp = i
        piv[kk] = pp
        if big == 0.0 or not math.isfinite(big):
            return False
        if pp != kk:
            for j in range(n):
                tmp = a[kk, j]
                a[kk, j] = a[pp, j]
                a[pp, j] = tmp
        inv = 1.0 / a[kk, kk]
        for i in range(kk + 1, n):
            a[i, kk] *= inv
            m = a[i, kk]
            if m != 0.0:
                for j in range(kk + 1, n):
                    a[i, j] -= m * a[kk, j]
    return True


@cuda.jit(device=True)
def lu_solve(a, piv, k, row, n):
    for i in range(n):
        pp = piv[i]
        if pp != i:
            tmp = k[row, i]
            k[row, i] = k[row, pp]
            k[row, pp] = tmp
    for i in range(1, n):
        s = k[row, i]
        for j in range(i):
            s -= a[i, j] * k[row, j]
        k[row, i] = s
    for i in range(n - 1, -1, -1):
        s = k[row, i]
        for j in range(i + 1, n):
            s -= a[i, j] * k[row, j]
        k[row, i] = s / a[i, i]


@cuda.jit(device=True)
def stage(y, p, k, row, u, fu, w, piv, inv_h, n, c1, c2, c3, c4, c5):
    rhs(u, p, fu)
    for j in range(n):
        k[row, j] = fu[j] + inv_h * (c1 * k[0, j] + c2 * k[1, j] + c3 * k[2, j] + c4 * k[3, j] + c5 * k[4, j])
    lu_solve(w, piv, k, row, n)


@cuda.jit
def solve_kernel(params, y0, t_out, dose_t, dose_idx, dose_amt, rtol, atol, max_steps, skip, y_out, status, n_steps):
    i = cuda.grid(1)
    if i >= params.shape[0] or skip[i]:
        return
    n = N_STATES
    p = params[i]
    yo = y_out[i]
    y = cuda.local.array(N_STATES, numba.float64)
    y_new = cuda.local.array(N_STATES, numba.float64)
    u = cuda.local.array(N_STATES, numba.float64)
    f0 = cuda.local.array(N_STATES, numba.float64)
    fu = cuda.local.array(N_STATES, numba.float64)
    k = cuda.local.array((6, N_STATES), numba.float64)
    jm = cuda.local.array((N_STATES, N_STATES), numba.float64)
    w = cuda.local.array((N_STATES, N_STATES), numba.float64)
    piv = cuda.local.array(N_STATES, numba.int64)
    n_out = t_out.shape[0]
    n_ev = dose_t.shape[1]
    for j in range(n):
        y[j] = y0[i, j]
    t = t_out[0]
    t_end = t_out[n_out - 1]
    ev = 0
    while ev < n_ev and dose_t[i, ev] <= t:
        y[dose_idx[i, ev]] += dose_amt[i, ev]
        ev += 1
    next_out = 0
    while next_out < n_out and t_out[next_out] <= t:
        for j in range(n):
            yo[next_out, j] = y[j]
        next_out += 1
    status[i] = STATUS_OK
    n_steps[i] = 0
    if next_out == n_out:
        return
    rhs(y, p, f0)
    for j in range(n):
        if not math.isfinite(f0[j]):
            status[i] = STATUS_NON_FINITE
            return
    d0n = 0.0
    d1n = 0.0
    for j in range(n):
        sc = atol + rtol * abs(y[j])
        d0n += (y[j] / sc) ** 2
        d1n += (f0[j] / sc) ** 2
    d0n = math.sqrt(d0n / n)
    d1n = math.sqrt(d1n / n)
    h = 1e-6 if (d0n < 1e-5 or d1n < 1e-5) else 0.01 * d0n / d1n
    h = min(h, t_end - t)
    steps = 0
    rejected_last = False
    failed_non_finite = False
    while next_out < n_out:
        t_stop = t_end
        if ev < n_ev and dose_t[i, ev] < t_stop:
            t_stop = dose_t[i, ev]
        if steps >= max_steps:
            status[i] = STATUS_MAX_STEPS
            n_steps[i] = steps
            return
        if h < 1e-12 * max(1.0, abs(t)):
            status[i] = STATUS_NON_FINITE if failed_non_finite else STATUS_STEP_UNDERFLOW
            n_steps[i] = steps
            return
        landing = False
        if t + 1.01 * h >= t_stop:
            h = t_stop - t
            landing = True
        steps += 1
        jac(y, p, jm)
        inv_gh = 1.0 / (GAMMA * h)
        for a in range(n):
            for b in range(n):
                w[a, b] = -jm[a, b]
            w[a, a] += inv_gh
        if not lu_factor(w, piv, n):
            h *= 0.25
            rejected_last = True
            continue
        inv_h = 1.0 / h
        for j in range(n):
            k[0, j] = f0[j]
            # Rows not yet computed enter stage() times 0.0: they must not hold NaN.
            k[1, j] = 0.0
            k[2, j] = 0.0
            k[3, j] = 0.0
            k[4, j] = 0.0
        lu_solve(w, piv, k, 0, n)
        for j in range(n):
            u[j] = y[j] + A21 * k[0, j]
        stage(y, p, k, 1, u, fu, w, piv, inv_h, n, C21, 0.0, 0.0, 0.0, 0.0)
        for j in range(n):
            u[j] = y[j] + A31 * k[0, j] + A32 * k[1, j]
        stage(y, p, k, 2, u, fu, w, piv, inv_h, n, C31, C32, 0.0, 0.0, 0.0)
        for j in range(n):
            u[j] = y[j] + A41 * k[0, j] + A42 * k[1, j] + A43 * k[2, j]
        stage(y, p, k, 3, u, fu, w, piv, inv_h, n, C41, C42, C43, 0.0, 0.0)
        for j in range(n):
            u[j] = y[j] + A51 * k[0, j] + A52 * k[1, j] + A53 * k[2, j] + A54 * k[3, j]
        stage(y, p, k, 4, u, fu, w, piv, inv_h, n, C51, C52, C53, C54, 0.0)
        for j in range(n):
            u[j] += k[4, j]
        stage(y, p, k, 5, u, fu, w, piv, inv_h, n, C61, C62, C63, C64, C65)
        acc = 0.0
        for j in range(n):
            y_new[j] = u[j] + k[5, j]
            sc = atol + rtol * max(abs(y[j]), abs(y_new[j]))
            r = k[5, j] / sc
            acc += r * r
        err = math.sqrt(acc / n)
        if not math.isfinite(err):
            failed_non_finite = True
            h *= 0.25
            rejected_last = True
            continue
        if err > 1.0:
            h *= max(FAC_MIN, SAFETY * err ** -0.25)
            rejected_last = True
            continue
        t_new = t_stop if landing else t + h
        dose_now = landing and ev < n_ev and dose_t[i, ev] == t_new
        while next_out < n_out and (t_out[next_out] < t_new or (t_out[next_out] == t_new and not dose_now)):
            s = (t_out[next_out] - t) / h
            s1 = 1.0 - s
            for j in range(n):
                dd1 = H21 * k[0, j] + H22 * k[1, j] + H23 * k[2, j] + H24 * k[3, j] + H25 * k[4, j]
                dd2 = H31 * k[0, j] + H32 * k[1, j] + H33 * k[2, j] + H34 * k[3, j] + H35 * k[4, j]
                yo[next_out, j] = s1 * y[j] + s * (y_new[j] + s1 * (dd1 + s * dd2))
            next_out += 1
        t = t_new
        for j in range(n):
            y[j] = y_new[j]
        while ev < n_ev and dose_t[i, ev] <= t:
            y[dose_idx[i, ev]] += dose_amt[i, ev]
            ev += 1
        while next_out < n_out and t_out[next_out] <= t:
            for j in range(n):
                yo[next_out, j] = y[j]
            next_out += 1
        rhs(y, p, f0)
        for j in range(n):
            if not math.isfinite(f0[j]):
                status[i] = STATUS_NON_FINITE
                n_steps[i] = steps
                return
        failed_non_finite = False
        fac = min(FAC_MAX, max(FAC_MIN, SAFETY * err ** -0.25)) if err > 0.0 else FAC_MAX
        if rejected_last:
            fac = min(fac, 1.0)
        h *= fac
        rejected_last = False
    n_steps[i] = steps
"""


def generate_cuda_source(model: SymbolicModel) -> str:
    """CUDA module source: the model's device functions and the Rodas4 kernel."""
    n = len(model.state_symbols)
    cpu = codegen.generate_source(model)
    # Reuse the generated model functions, re-decorated as CUDA device functions.
    start = cpu.index("@numba.njit(cache=True, error_model='numpy', inline='always')\ndef rhs(")
    end = cpu.index("@numba.njit(cache=True, error_model='numpy', inline='always')\ndef initial(")
    device_functions = cpu[start:end].replace(
        "@numba.njit(cache=True, error_model='numpy', inline='always')", "@cuda.jit(device=True)"
    )
    header = (
        '"""Generated by stromal.model.gpu. Do not edit."""\n\n'
        "import math\n\nimport numba\nfrom numba import cuda\n\n"
        "from stromal.model.solver import (  # noqa: F401\n"
        "    A21, A31, A32, A41, A42, A43, A51, A52, A53, A54,\n"
        "    C21, C31, C32, C41, C42, C43, C51, C52, C53, C54, C61, C62, C63, C64, C65,\n"
        "    FAC_MAX, FAC_MIN, GAMMA, H21, H22, H23, H24, H25, H31, H32, H33, H34, H35, SAFETY,\n"
        "    STATUS_MAX_STEPS, STATUS_NON_FINITE, STATUS_OK, STATUS_STEP_UNDERFLOW,\n"
        ")\n\n"
        f"N_STATES = {n}\n\n\n"
    )
    return header + device_functions + _KERNEL


_MODULES: dict[str, ModuleType] = {}


def _cuda_module(compiled: CompiledModel, model: SymbolicModel) -> ModuleType:
    sim = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    name = f"stromal_generated_cuda_{compiled.key}{'_sim' if sim else ''}"
    if name in _MODULES:
        return _MODULES[name]
    path = compiled.path.parent / f"{name}.py"
    if not path.exists():
        codegen._write_atomic(path, generate_cuda_source(model))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only if the file vanished
        raise ImportError(f"cannot import generated CUDA code from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _MODULES[name] = module
    return module


def solve_batch_gpu(
    compiled: CompiledModel,
    model: SymbolicModel,
    params: np.ndarray,
    y0: np.ndarray,
    t_out: np.ndarray,
    dose_t: np.ndarray,
    dose_idx: np.ndarray,
    dose_amt: np.ndarray,
    rtol: float,
    atol: float,
    max_steps: int,
    skip: np.ndarray,
    y_out: np.ndarray,
    status: np.ndarray,
    n_steps: np.ndarray,
) -> None:
    """Run the kernel over the batch; fills ``y_out``, ``status``, ``n_steps`` in place
    (same contract as the CPU driver ``solve_batch``)."""
    from numba import cuda

    module = _cuda_module(compiled, model)
    n = params.shape[0]
    if n == 0:
        return
    d_y = cuda.to_device(y_out)
    d_status = cuda.to_device(status)
    d_steps = cuda.to_device(n_steps)
    blocks = (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
    module.solve_kernel[blocks, THREADS_PER_BLOCK](
        cuda.to_device(params),
        cuda.to_device(y0),
        cuda.to_device(t_out),
        cuda.to_device(dose_t),
        cuda.to_device(dose_idx),
        cuda.to_device(dose_amt),
        rtol,
        atol,
        max_steps,
        cuda.to_device(skip),
        d_y,
        d_status,
        d_steps,
    )
    d_y.copy_to_host(y_out)
    d_status.copy_to_host(status)
    d_steps.copy_to_host(n_steps)
