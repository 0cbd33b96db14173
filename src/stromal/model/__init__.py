"""The in-silico engine: a mechanistic model of ARDS with IV MSC and inhaled
exosome arms, virtual populations and in-silico trials. No Django.

A research model: every output names the model version and its uncertainty.
It is a new composition of published pieces, not a validated model.

Public API (this module imports only the model definition eagerly; the
solvers and trial machinery are imported from their own modules):

- ``MODEL``, ``MODEL_VERSION``, ``ModelDefinition``, ``StateSpec``,
  ``ObservableSpec``, ``reynolds_core`` — the SymPy definition;
- ``PARAMETERS``, ``PARAMETER_INDEX``, ``ParameterSpec``,
  ``nominal_parameters``, ``sample_parameters``, ``AETIOLOGIES``;
- ``DoseEvents``, ``dose_events_for_arm``, ``no_doses``, ``merge``.
"""

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
from stromal.model.parameters import (
    AETIOLOGIES,
    PARAMETER_INDEX,
    PARAMETERS,
    ParameterSpec,
    nominal_parameters,
    sample_parameters,
)

__all__ = [
    "AETIOLOGIES",
    "MODEL",
    "MODEL_VERSION",
    "PARAMETERS",
    "PARAMETER_INDEX",
    "AuxiliarySpec",
    "DoseEvents",
    "ModelDefinition",
    "ObservableSpec",
    "ParameterSpec",
    "StateSpec",
    "dose_events_for_arm",
    "merge",
    "no_doses",
    "nominal_parameters",
    "reynolds_core",
    "sample_parameters",
]
