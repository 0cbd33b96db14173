"""A second run starts fast: the default model's compiled code is found by the
hash of its source files, without importing SymPy or building the model."""

from __future__ import annotations

import subprocess
import sys

from stromal.model import codegen
from stromal.model.engine import warm_up


def test_a_warm_start_neither_imports_sympy_nor_builds_the_model() -> None:
    warm_up()  # compiles once per machine (cached), like a first `stromal trial`
    code = (
        "import sys\n"
        "from stromal.model.engine import warm_up\n"
        "from stromal.model.dosing import dose_events_for_arm\n"
        "warm_up()\n"
        "print('sympy' in sys.modules, 'stromal.model.definition' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_cached_layout_matches_the_model_definition() -> None:
    from stromal.model.definition import MODEL

    layout = codegen.load_default()
    assert layout.state_names == tuple(s.name for s in MODEL.states)
    assert layout.observable_names == tuple(o.name for o in MODEL.observables)
    assert layout.n_params == len(MODEL.parameters)
    assert dict(layout.dose_targets) == dict(MODEL.dose_targets)
    assert layout.model_version == MODEL.version
