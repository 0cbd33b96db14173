"""``stromal export``: the same export from the command line, its options and its refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stromal.audit.models import AuditEvent
from stromal.cli import main
from stromal.protocols.models import ProtocolVersion
from tests.outcomes.factories import TODAY, Course, make_cohort
from tests.pathway.factories import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(cast: Any) -> None:
    d0 = TODAY.replace(year=2025)
    make_cohort(cast, [Course("C-1", d0), Course("C-2", d0, protocol_code=START, arm="bmmsc_iv")])


def test_it_writes_every_format_for_the_whole_registry(cohort: None, tmp_path: Path, capsys: Any) -> None:
    assert main(["export", "--out", str(tmp_path), "--format", "csv,sav,odm"]) == 0
    assert "pseudonymised export" in capsys.readouterr().out
    assert {"patients.csv", "patients.sav", "odm.xml", "data_dictionary.csv"} <= {
        p.name for p in tmp_path.iterdir()
    }
    assert len(pd.read_csv(tmp_path / "patients.csv")) == 2
    event = AuditEvent.objects.get(action="export")
    assert event.actor_username == "system" and event.source == "command stromal export"


def test_protocol_keeps_only_that_protocols_patients(cohort: None, tmp_path: Path) -> None:
    assert main(["export", "--out", str(tmp_path), "--protocol", START]) == 0
    assert list(pd.read_csv(tmp_path / "patients.csv")["protocol"]) == [START]


def test_protocol_takes_a_version_as_the_analytics_pages_write_it(cohort: None, tmp_path: Path) -> None:
    version = ProtocolVersion.objects.filter(code=START).latest("created_at").version
    assert main(["export", "--out", str(tmp_path), "--protocol", f"{START}@{version}"]) == 0
    assert list(pd.read_csv(tmp_path / "patients.csv")["protocol"]) == [START]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--identified"], "--reason: An identified export needs a reason"),
        (["--format", "xls"], "--format: Unknown format 'xls'"),
        (["--user", "nobody"], "--user: no active user 'nobody'"),
        (["--user", "mona", "--identified", "--reason", "x"], "refused: Only the site's investigator"),
        (["--user", "alice"], "refused: Your role (physician) may not read the registry's analytics."),
        (["--protocol", "nosuch"], "--protocol: No protocol has the code 'nosuch'"),
        (["--protocol", f"{START}@9.9"], f"--protocol: Protocol {START} has no version '9.9'"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    cast: Any, tmp_path: Path, capsys: Any, args: list[str], message: str
) -> None:
    assert main(["export", "--out", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err
    assert not AuditEvent.objects.filter(action="export").exists()
