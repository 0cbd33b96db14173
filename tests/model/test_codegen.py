"""Code generation: analytic Jacobian, cache location and reuse across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stromal.model import codegen
from tests.model.solver_models import linear_stiff, reynolds_core

REYNOLDS = reynolds_core()
ROOT = Path(__file__).resolve().parents[2]


def test_the_analytic_jacobian_matches_central_differences() -> None:
    module = codegen.load(REYNOLDS).module
    rng = np.random.default_rng(2)
    p = REYNOLDS.nominal
    for _ in range(5):
        y = rng.uniform(0.05, 3.0, 4)
        jac = np.empty((4, 4))
        module.jac_one(y, p, jac)
        fd = np.empty((4, 4))
        for j in range(4):
            step = 1e-6 * max(1.0, abs(y[j]))
            up, down = y.copy(), y.copy()
            up[j] += step
            down[j] -= step
            f_up, f_down = np.empty(4), np.empty(4)
            module.rhs_one(up, p, f_up)
            module.rhs_one(down, p, f_down)
            fd[:, j] = (f_up - f_down) / (2 * step)
        # Central differences are accurate to ~1e-8 here.
        np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-8)


def test_the_generated_source_names_the_model_and_its_digest() -> None:
    source = codegen.generate_source(REYNOLDS)
    assert "reynolds_core_test" in source
    assert REYNOLDS.digest() in source
    assert "def jac(y, p, out):" in source
    compile(source, "<generated>", "exec")


def test_the_cache_key_changes_with_the_model() -> None:
    assert codegen.cache_key(REYNOLDS) != codegen.cache_key(linear_stiff())
    assert codegen.cache_key(REYNOLDS) == codegen.cache_key(reynolds_core())


@pytest.mark.parametrize("name", codegen.GENERATED_CODE_SOURCES)
def test_the_cache_key_changes_when_any_file_that_shapes_the_generated_code_changes(
    tmp_path: Path, name: str
) -> None:
    package = Path(codegen.__file__).resolve().parent
    for source in codegen.GENERATED_CODE_SOURCES:
        (tmp_path / source).write_text((package / source).read_text(encoding="utf-8"), encoding="utf-8")
    before = codegen.cache_key(REYNOLDS, tmp_path)
    with (tmp_path / name).open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    assert codegen.cache_key(REYNOLDS, tmp_path) != before


def test_the_cuda_kernel_source_is_among_the_files_the_cache_key_hashes() -> None:
    from stromal.model import gpu

    assert Path(gpu.__file__).name in codegen.GENERATED_CODE_SOURCES
    assert codegen.cache_key(REYNOLDS) == codegen.cache_key(REYNOLDS, Path(codegen.__file__).resolve().parent)


def test_generated_code_is_written_under_stromal_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STROMAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(codegen, "_LOADED", {})
    monkeypatch.setattr(codegen, "_LOADED_BY_ID", {})
    compiled = codegen.load(linear_stiff())  # importing compiles nothing yet: numba compiles on first call
    assert compiled.path.is_file()
    assert compiled.path.parent.parent == tmp_path / "cache" / "codegen"
    assert compiled.n_states == 2 and compiled.n_params == 3


_WARM_START = """
import json, time
started = time.perf_counter()
from stromal.model import codegen
from stromal.model.engine import warm_up
from tests.model.solver_models import reynolds_core
model = reynolds_core()
seconds = warm_up(model)
module = codegen.load(model).module
misses = sum(sum(getattr(module, f).stats.cache_misses.values())
             for f in ("solve_batch", "solve_batch_serial", "observables_batch", "observables_batch_serial"))
print(json.dumps({"warm_up_s": seconds, "total_s": time.perf_counter() - started, "misses": misses}))
"""


@pytest.mark.slow
def test_a_second_process_loads_the_compiled_code_from_the_cache() -> None:
    codegen.load(REYNOLDS)
    from stromal.model.engine import warm_up

    warm_up(REYNOLDS)  # this process compiles (or loads) and fills the cache
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _WARM_START],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    # Nothing recompiled: every driver came from numba's on-disk cache. (The
    # seconds depend on machine load, so they are reported, not asserted.)
    assert report["misses"] == 0, report
