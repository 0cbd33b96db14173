"""The in-silico engine: a mechanistic model of ARDS with IV MSC and inhaled
exosome arms, virtual populations and in-silico trials. No Django.

A research model: every output names the model version and its uncertainty.
It is a new composition of published pieces, not a validated model.

Public API for notebooks and scripts (``examples/trial_in_a_notebook.py``
uses it). Every name is imported on first use (PEP 562 module
``__getattr__``), so ``import stromal.model`` costs nothing: SymPy, numba,
pandas and plotly load only when the object that needs them is touched.

Trials
    ``load_trial_config(path)``, ``trial_config_from_dict(data)``,
    ``TrialConfig``, ``TrialConfigError`` — the ``stromal trial`` TOML;
    ``run_trial(config, out_dir, ...)`` — the whole trial (summary dict,
    ``summary.json``, ``report.html``, ``outcomes/part-*.parquet``);
    ``iter_chunks``, ``run_chunk``, ``read_outcomes``, ``TrialTally``.
Populations
    ``generate_population``, ``VirtualPopulation``.
Simulation
    ``simulate_cohort(params, t_out_h, *, doses=None, y0=None, ...)``,
    ``CohortResult``, ``SolverStatus`` (each patient's ``status``), ``warm_up``.
Model
    ``MODEL``, ``MODEL_VERSION``, ``ModelDefinition``, ``StateSpec``,
    ``ObservableSpec``, ``AuxiliarySpec``, ``reynolds_core``;
    ``PARAMETERS``, ``PARAMETER_INDEX``, ``ParameterSpec``,
    ``nominal_parameters``, ``sample_parameters``, ``AETIOLOGIES``;
    ``DoseEvents``, ``dose_events_for_arm``, ``no_doses``, ``merge``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stromal.model.definition import (
        MODEL,
        MODEL_VERSION,
        AuxiliarySpec,
        ModelDefinition,
        ObservableSpec,
        StateSpec,
        reynolds_core,
    )
    from stromal.model.dosing import DoseEvents, dose_events_for_arm, merge, no_doses
    from stromal.model.engine import CohortResult, simulate_cohort, warm_up
    from stromal.model.parameters import (
        AETIOLOGIES,
        PARAMETER_INDEX,
        PARAMETERS,
        ParameterSpec,
        nominal_parameters,
        sample_parameters,
    )
    from stromal.model.population import VirtualPopulation, generate_population
    from stromal.model.status import SolverStatus
    from stromal.model.tally import TrialTally
    from stromal.model.trial import iter_chunks, read_outcomes, run_chunk, run_trial
    from stromal.model.trial_config import (
        TrialConfig,
        TrialConfigError,
        load_trial_config,
        trial_config_from_dict,
    )

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "MODEL",
            "MODEL_VERSION",
            "AuxiliarySpec",
            "ModelDefinition",
            "ObservableSpec",
            "StateSpec",
            "reynolds_core",
        ),
        "definition",
    ),
    **dict.fromkeys(("DoseEvents", "dose_events_for_arm", "merge", "no_doses"), "dosing"),
    **dict.fromkeys(("CohortResult", "simulate_cohort", "warm_up"), "engine"),
    **dict.fromkeys(
        (
            "AETIOLOGIES",
            "PARAMETER_INDEX",
            "PARAMETERS",
            "ParameterSpec",
            "nominal_parameters",
            "sample_parameters",
        ),
        "parameters",
    ),
    **dict.fromkeys(("VirtualPopulation", "generate_population"), "population"),
    "SolverStatus": "status",
    "TrialTally": "tally",
    **dict.fromkeys(("iter_chunks", "read_outcomes", "run_chunk", "run_trial"), "trial"),
    **dict.fromkeys(
        ("TrialConfig", "TrialConfigError", "load_trial_config", "trial_config_from_dict"), "trial_config"
    ),
}

__all__ = [
    "AETIOLOGIES",
    "MODEL",
    "MODEL_VERSION",
    "PARAMETERS",
    "PARAMETER_INDEX",
    "AuxiliarySpec",
    "CohortResult",
    "DoseEvents",
    "ModelDefinition",
    "ObservableSpec",
    "ParameterSpec",
    "SolverStatus",
    "StateSpec",
    "TrialConfig",
    "TrialConfigError",
    "TrialTally",
    "VirtualPopulation",
    "dose_events_for_arm",
    "generate_population",
    "iter_chunks",
    "load_trial_config",
    "merge",
    "no_doses",
    "nominal_parameters",
    "read_outcomes",
    "reynolds_core",
    "run_chunk",
    "run_trial",
    "sample_parameters",
    "simulate_cohort",
    "trial_config_from_dict",
    "warm_up",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and cache the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stromal.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"stromal.model.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
