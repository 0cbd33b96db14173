"""The SBML export loads in libRoadRunner and gives the same trajectories as
SciPy on the SymPy right-hand side (state-wise relative error < 1e-3 at
rtol 1e-10), with and without dose events; every quantity declares its unit
and libSBML's unit check finds nothing; the CLI writes the calibrated
nominal patient, the same one `stromal simulate` runs."""

from pathlib import Path

import libsbml
import numpy as np
import pytest
import roadrunner

from stromal.cli import main
from stromal.model.definition import MODEL
from stromal.model.parameters import PARAMETER_INDEX, nominal_parameters
from stromal.model.reference import solve_reference
from stromal.model.sbml import to_sbml
from stromal.model.status import SolverStatus

# Output times avoid the dose times: at a dose time the two tools may report
# the state just before or just after the bolus.
T_OUT = np.linspace(0.0, 600.0, 41) + 0.25
DOSES = [(40.0, MODEL.state_index("msc_lung_1e6_cells"), 60.0), (64.0, 9, 60.0), (50.0, 10, 0.72)]


def _roadrunner(sbml: str) -> np.ndarray:
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.timeCourseSelections = ["time"] + [s.name for s in MODEL.states]
    result = np.array(rr.simulate(times=[0.0, *T_OUT.tolist()]))
    return result[1:, 1:]


def _relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Floor of 1e-6 on the scale: states that decay to ~0 are compared absolutely there.
    return np.asarray(np.abs(a - b) / np.maximum(np.abs(b), 1e-6))


@pytest.mark.parametrize("doses", [[], DOSES], ids=["untreated", "treated"])
@pytest.mark.parametrize(("k_pg", "p0"), [(0.3, 1.0), (0.3, 5.0)])
def test_roadrunner_on_the_export_matches_scipy_on_the_sympy_rhs(
    doses: list[tuple[float, int, float]], k_pg: float, p0: float
) -> None:
    p = nominal_parameters()
    p[PARAMETER_INDEX["k_pg"]] = k_pg
    p[PARAMETER_INDEX["insult_p0"]] = p0
    rr = _roadrunner(to_sbml(MODEL, params=p, doses=doses))
    ref = solve_reference(MODEL, p, T_OUT, doses=doses, rtol=1e-10, atol=1e-12)
    assert _relative_error(rr, ref).max() < 1e-3


def test_the_export_declares_hours_and_holds_rules_and_events() -> None:
    doc = libsbml.readSBMLFromString(to_sbml(MODEL, doses=DOSES))
    assert doc.getLevel() == 3
    model = doc.getModel()
    assert model.getTimeUnits() == "hour"
    hour = model.getUnitDefinition("hour").getUnit(0)
    assert hour.getKind() == libsbml.UNIT_KIND_SECOND and hour.getMultiplier() == 3600.0
    assert model.getNumEvents() == 3
    assert model.getNumRules() >= len(MODEL.states) + len(MODEL.observables)
    assert model.getParameter("pf_ratio") is not None
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    assert not [e.getMessage() for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def test_nominal_values_are_written() -> None:
    model = libsbml.readSBMLFromString(to_sbml(MODEL)).getModel()
    for spec in MODEL.parameters:
        assert model.getParameter(spec.name).getValue() == pytest.approx(spec.value)


def test_the_cli_writes_a_protocol_arm_as_events(tmp_path: Path) -> None:
    out = tmp_path / "start.xml"
    code = main(
        [
            "export-sbml", "--out", str(out), "--protocol", "start-like-single-iv", "--arm", "bmmsc_iv",
            "--weight-kg", "90", "--height-cm", "180", "--sex", "female",
        ]
    )  # fmt: skip
    assert code == 0
    model = libsbml.readSBMLFromString(out.read_text()).getModel()
    assert model.getNumEvents() == 1
    assert model.getParameter("height_cm").getValue() == 180.0


def test_the_cli_exports_the_untreated_model_by_default(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    assert main(["export-sbml", "--out", str(out)]) == 0
    assert libsbml.readSBMLFromString(out.read_text()).getModel().getNumEvents() == 0


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--weight-kg", "-1"], "--weight-kg"),
        (["--protocol", "nope"], "--protocol"),
        (["--arm", "x"], "--arm"),
        (["--protocol", "start-like-single-iv", "--arm", "x"], "--arm"),
    ],
)
def test_the_cli_refuses_bad_arguments_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    assert main(["export-sbml", "--out", str(tmp_path / "x.xml"), *extra]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "x.xml").exists()


def test_the_cli_refuses_a_missing_out_option() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export-sbml"])
    assert exit_info.value.code == 2


def _unit_warnings(sbml: str) -> list[str]:
    """Messages of libSBML's unit-consistency check (only that category enabled)."""
    doc = libsbml.readSBMLFromString(sbml)
    for category in (
        libsbml.LIBSBML_CAT_GENERAL_CONSISTENCY,
        libsbml.LIBSBML_CAT_IDENTIFIER_CONSISTENCY,
        libsbml.LIBSBML_CAT_MATHML_CONSISTENCY,
        libsbml.LIBSBML_CAT_SBO_CONSISTENCY,
        libsbml.LIBSBML_CAT_OVERDETERMINED_MODEL,
        libsbml.LIBSBML_CAT_MODELING_PRACTICE,
    ):
        doc.setConsistencyChecks(category, False)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    return [doc.getError(i).getMessage() for i in range(doc.getNumErrors())]


@pytest.mark.parametrize("doses", [[], DOSES], ids=["untreated", "treated"])
def test_the_unit_consistency_check_reports_nothing_and_every_quantity_declares_a_unit(
    doses: list[tuple[float, int, float]],
) -> None:
    sbml = to_sbml(MODEL, doses=doses)
    assert _unit_warnings(sbml) == []
    full = libsbml.readSBMLFromString(sbml)
    assert full.checkConsistency() == 0  # every category, modelling practice included
    model = full.getModel()
    for i in range(model.getNumParameters()):
        par = model.getParameter(i)
        assert par.isSetUnits(), par.getId()
        assert par.getUnits() == "dimensionless" or model.getUnitDefinition(par.getUnits()) is not None


def test_a_unit_mismatch_would_be_reported() -> None:
    # The check can fail: give a rate the wrong unit and libSBML notices.
    doc = libsbml.readSBMLFromString(to_sbml(MODEL))
    doc.getModel().getParameter("k_pg").setUnits("mmHg")
    assert _unit_warnings(libsbml.writeSBMLToString(doc))


def test_the_cli_exports_the_calibrated_nominal_values_unless_asked_for_the_priors(tmp_path: Path) -> None:
    from stromal.model.parameters import calibrated_values

    fitted = calibrated_values()
    assert fitted, "a calibration is installed"
    assert main(["export-sbml", "--out", str(tmp_path / "c.xml")]) == 0
    assert main(["export-sbml", "--out", str(tmp_path / "u.xml"), "--uncalibrated"]) == 0
    calibrated = libsbml.readSBMLFromString((tmp_path / "c.xml").read_text()).getModel()
    prior = libsbml.readSBMLFromString((tmp_path / "u.xml").read_text()).getModel()
    for name, value in fitted.items():
        assert calibrated.getParameter(name).getValue() == pytest.approx(value)
        assert prior.getParameter(name).getValue() == pytest.approx(
            MODEL.parameters[PARAMETER_INDEX[name]].value
        )


def test_the_export_matches_stromal_simulate_on_the_calibrated_nominal_patient(tmp_path: Path) -> None:
    import pandas as pd

    assert main(["export-sbml", "--out", str(tmp_path / "m.xml")]) == 0
    assert main(["simulate", "--out", str(tmp_path / "s.csv"), "--days", "28", "--step-h", "6"]) == 0
    simulated = pd.read_csv(tmp_path / "s.csv")
    assert (simulated["status"] == SolverStatus.OK).all()
    rr = roadrunner.RoadRunner((tmp_path / "m.xml").read_text())
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    names = [s.name for s in MODEL.states]
    rr.timeCourseSelections = ["time", *names]
    exported = np.array(rr.simulate(times=simulated["t_h"].tolist()))[:, 1:]
    assert _relative_error(exported, simulated[names].to_numpy()).max() < 1e-3
    # The same fate: death hazard accumulated over 28 days agrees too.
    assert exported[-1, names.index("cumulative_death_hazard")] == pytest.approx(
        simulated["cumulative_death_hazard"].iloc[-1], rel=1e-3
    )
