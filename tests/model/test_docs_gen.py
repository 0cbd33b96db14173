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
