"""``stromal.model`` re-exports a deliberate API and stays light to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import stromal.model


def test_importing_stromal_model_loads_none_of_the_heavy_libraries() -> None:
    code = (
        "import sys, stromal.model; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numba', 'pandas', 'plotly', 'scipy', 'dask'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    from stromal.model import trial, trial_config

    for name in stromal.model.__all__:
        assert getattr(stromal.model, name) is not None, name
    assert stromal.model.run_trial is trial.run_trial
    assert stromal.model.load_trial_config is trial_config.load_trial_config
    assert {"simulate_cohort", "run_trial", "sample_parameters", "MODEL", "MODEL_VERSION"} <= set(
        dir(stromal.model)
    )


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        stromal.model.no_such_thing  # noqa: B018
