"""docs/model.md is generated from the definition and kept up to date."""

from pathlib import Path

from stromal.model.definition import MODEL
from stromal.model.docs_gen import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_the_committed_model_doc_is_what_the_generator_writes() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m stromal.model.docs_gen"


def test_the_doc_lists_every_state_parameter_and_observable_and_says_it_is_not_validated() -> None:
    text = render()
    for name in [s.name for s in MODEL.states] + [p.name for p in MODEL.parameters]:
        assert f"`{name}`" in text
    for obs in MODEL.observables:
        assert f"`{obs.name}`" in text
    assert "not a validated model" in text
    assert "Stated assumptions and known limitations" in text


TRIAL_CONFIG_DOC = DOC.parent / "trial-config.md"


def test_the_committed_trial_config_reference_is_what_the_generator_writes() -> None:
    from stromal.model.docs_gen import render_trial_config

    assert TRIAL_CONFIG_DOC.read_text(encoding="utf-8") == render_trial_config(), (
        "run: python -m stromal.model.docs_gen"
    )


def test_the_trial_config_reference_lists_exactly_the_keys_the_validator_accepts() -> None:
    from stromal.clinical import protocol
    from stromal.model import trial_config as tc

    documented = {doc.key for doc in tc.KEYS}
    accepted = (
        set(tc._TOP_KEYS - {"population", "arm", "analysis", "sweep"})
        | {f"population.{k}" for k in tc._POPULATION_KEYS}
        | {f"analysis.{k}" for k in tc._ANALYSIS_KEYS}
        | {f"sweep.{k}" for k in tc._SWEEP_KEYS}
        | {f"arm[].{k}" for k in protocol._ARM_KEYS | {"allocation", "protocol", "protocol_arm"}}
    )
    assert documented == accepted
    from stromal.model.docs_gen import render_trial_config

    text = render_trial_config()
    for doc in tc.KEYS:
        short = doc.key.split(".")[-1]
        assert doc.type and doc.meaning and f"| `{short}` |" in text


def test_the_documented_defaults_are_the_defaults_the_config_uses() -> None:
    from dataclasses import MISSING, fields

    from stromal.clinical.protocol import Arm
    from stromal.model import trial_config as tc

    documented = {doc.key: doc.default for doc in tc.KEYS}
    for prefix, cls in (
        ("population.", tc.PopulationConfig),
        ("analysis.", tc.AnalysisConfig),
        ("sweep.", tc.SweepConfig),
        ("", tc.TrialConfig),
        ("arm[].", Arm),
    ):
        for f in fields(cls):
            key = prefix + f.name
            if key in documented and documented[key] != tc.REQUIRED and f.default is not MISSING:
                default = f.default
                default = getattr(default, "value", default)  # enums are written as their value
                assert documented[key] == default, key
    # Defaults that live in the validator rather than a dataclass, checked by parsing a minimal config.
    minimal = {
        "seed": 1,
        "population": {"n_per_arm": 1, "severity": {"mild": 1.0}, "aetiology": {"viral": 1.0}},
        "arm": [{"name": "control"}],
    }
    config = tc.trial_config_from_dict(minimal)
    assert config.days == documented["days"] and config.weights == (documented["arm[].allocation"],)
    assert config.allow_extrapolation is documented["allow_extrapolation"]
    assert config.population.pf_enrolment_mmhg == documented["population.pf_enrolment_mmhg"]
    assert config.population.enrolment_delay_h == documented["population.enrolment_delay_h"]
