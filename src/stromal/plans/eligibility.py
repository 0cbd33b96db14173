"""What a protocol's eligibility criteria are evaluated on.

The examination's results plus the derived values criteria may name: age
on the examination day, and the P/F and S/F ratios exactly as the clinical
library computes them (with the site's altitude correction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stromal.examinations.assessing import assessment_inputs, run_assessments
from stromal.examinations.models import Encounter


def eligibility_inputs(*, encounter: Encounter, values: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = dict(values)
    clinical_inputs = assessment_inputs(encounter=encounter, values=values)
    inputs.update(clinical_inputs)
    _, results = run_assessments(clinical_inputs)
    for derived in ("pf_ratio", "sf_ratio"):
        if results.get(derived) is not None:
            inputs[derived] = results[derived]
    return dict(sorted(inputs.items()))
