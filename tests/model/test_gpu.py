"""The CUDA kernel, run under numba's CUDA simulator, agrees with the CPU solver.

No GPU is needed: ``NUMBA_ENABLE_CUDASIM=1`` (set in a subprocess, because it
must be set before numba.cuda is first imported) runs the same kernel source
in Python threads. A real GPU is exercised only where one is present.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stromal.model import gpu
from stromal.model.status import SolverStatus
from tests.model.solver_models import reynolds_core

ROOT = Path(__file__).resolve().parents[2]

_COMPARE = """
import json
import numpy as np
from stromal.model.engine import simulate_cohort
from tests.model.solver_models import reynolds_core
from tests.model.test_engine import Doses
from stromal.model.status import SolverStatus

model = reynolds_core()
p = np.tile(model.nominal, (3, 1))
p[1, 0] = 0.6    # septic course
p[2, -1] = 5.0   # aseptic course
p[0, 5] = 0.0    # P_inf = 0: non-finite right-hand side, status 3
doses = Doses(np.array([[30.0], [30.0], [30.0]]), np.zeros((3, 1), np.int64), np.array([[0.5], [0.5], [0.5]]))
t = np.linspace(0.0, 120.0, 7)
g = simulate_cohort(p, t, model=model, doses=doses, backend="gpu")
c = simulate_cohort(p, t, model=model, doses=doses, backend="cpu")
ok = c.status == SolverStatus.OK
scale = np.abs(c.y[ok])
mask = scale > 1e-8
rel = float(np.max(np.abs(g.y[ok][mask] - c.y[ok][mask]) / scale[mask]))
print(json.dumps({"backend": g.backend, "gpu_status": g.status.tolist(), "cpu_status": c.status.tolist(),
                  "gpu_steps": g.n_steps.tolist(), "cpu_steps": c.n_steps.tolist(), "rel": rel}))
"""


@pytest.mark.slow
def test_the_cuda_kernel_under_the_simulator_matches_the_cpu_solver() -> None:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _COMPARE], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["backend"] == "gpu"
    expected = [SolverStatus.NON_FINITE, SolverStatus.OK, SolverStatus.OK]
    assert report["gpu_status"] == report["cpu_status"] == expected
    # Same method; the GPU kernel uses the dense pivoted LU, the CPU the
    # generated sparse one, so rounding (and rarely a step) may differ.
    assert all(abs(a - b) <= 2 for a, b in zip(report["gpu_steps"], report["cpu_steps"], strict=True))
    assert report["rel"] < 1e-6, report


@pytest.mark.skipif(
    not gpu.gpu_available(), reason="no CUDA GPU on this machine (CI and the dev box have none)"
)
def test_the_gpu_backend_matches_the_cpu_on_a_real_gpu() -> None:  # pragma: no cover - needs a GPU
    import numpy as np

    from stromal.model.engine import simulate_cohort

    model = reynolds_core()
    p = np.tile(model.nominal, (256, 1))
    p[:, 0] = np.linspace(0.25, 0.65, 256)
    t = np.linspace(0.0, 200.0, 11)
    g = simulate_cohort(p, t, model=model, backend="gpu")
    c = simulate_cohort(p, t, model=model, backend="cpu")
    assert (g.status == c.status).all()
    np.testing.assert_allclose(g.y, c.y, rtol=1e-6, atol=1e-12)
