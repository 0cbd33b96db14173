"""The trial designer: a bad TOML is refused next to the field with the CLI's key and rule, the arms
come from the protocols in the database, a web run is capped, and nothing is saved when refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from stromal.insilico.models import TrialRun
from stromal.protocols.models import ProtocolVersion
from stromal.protocols.services import protocols_load_builtin
from tests.insilico.conftest import TINY_TOML

pytestmark = pytest.mark.django_db


def _ivan(cast: Any) -> Client:
    client = Client()
    client.force_login(cast.ivan)
    return client


def _start_like() -> ProtocolVersion:
    protocols_load_builtin()
    return ProtocolVersion.objects.get(code="start-like-single-iv")


def _cli_error(tmp_path: Any, text: str, capsys: Any) -> str:
    """What ``stromal trial`` prints for the same TOML, after 'invalid configuration: '."""
    from stromal.cli import main

    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["trial", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    return str(capsys.readouterr().err.strip().split("invalid configuration: ", 1)[1])


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("n_per_arm = 12", "n_per_arm = 0"), "population.n_per_arm"),
        (("dose_cells_per_kg = 1e6", "dose_cells_per_kg = 1e9"), "arm[1].dose_cells_per_kg"),
        (("seed = 7", "seed = -1"), "seed"),
        (("days = 28", "days = 28\nbogus = 1"), "bogus"),
        (("[population]", "[population"), "config"),
    ],
)
def test_a_bad_toml_is_refused_next_to_the_field_naming_the_key_and_rule_as_the_cli_does(
    cast: Any, tmp_path: Any, capsys: Any, change: tuple[str, str], key: str
) -> None:
    text = TINY_TOML.replace(*change)
    cli = _cli_error(tmp_path, text, capsys)
    assert cli.startswith(key)
    response = _ivan(cast).post("/insilico/trials/new/", {"design": "toml", "config_toml": text})
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split('id="id_config_toml-error"', 1)[1].split("</ul>", 1)[0]
    from html import unescape

    assert unescape(cli) in unescape(error)
    assert not TrialRun.objects.exists()


def test_a_trial_too_large_for_the_web_says_so_and_points_to_the_cli(cast: Any) -> None:
    text = TINY_TOML.replace("n_per_arm = 12", "n_per_arm = 5000")
    response = _ivan(cast).post("/insilico/trials/new/", {"design": "toml", "config_toml": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert "population.n_per_arm: a web run simulates at most 4000 enrolled patients" in page
    assert "stromal trial --config FILE --out DIR" in page
    assert not TrialRun.objects.exists()


def test_the_designer_builds_a_trial_from_the_protocol_arms_in_the_database(cast: Any) -> None:
    version = _start_like()
    arm = version.to_protocol().arm("bmmsc_iv")
    client = _ivan(cast)
    page = client.get("/insilico/trials/new/").content.decode()
    assert f'value="{version.pk}:{arm.name}"' in page
    response = client.post(
        "/insilico/trials/new/",
        {
            "design": "arms",
            "arms-title": "START-like from the database",
            "arms-protocol_arms": [f"{version.pk}:{arm.name}"],
            "arms-include_control": "on",
            "arms-seed": "3",
            "arms-days": "28",
            "arms-n_per_arm": "10",
            "arms-severity_mild": "0.2",
            "arms-severity_moderate": "0.5",
            "arms-severity_severe": "0.3",
            "arms-aetiology_viral": "0.6",
            "arms-aetiology_sepsis": "0.3",
            "arms-aetiology_trauma": "0.1",
        },
    )
    run = TrialRun.objects.get()
    assert response["Location"] == f"/insilico/trials/{run.pk}/"
    assert run.source == "arms" and run.seed == 3 and run.n_patients == 20
    assert [a["name"] for a in run.config["arm"]] == ["control", arm.name]
    assert run.config["arm"][1]["route"] == arm.route.value  # type: ignore[union-attr]


def test_a_bad_mix_in_the_designer_is_refused_next_to_its_field(cast: Any) -> None:
    version = _start_like()
    response = _ivan(cast).post(
        "/insilico/trials/new/",
        {
            "design": "arms",
            "arms-title": "bad mix",
            "arms-protocol_arms": [f"{version.pk}:bmmsc_iv"],
            "arms-include_control": "on",
            "arms-seed": "3",
            "arms-days": "28",
            "arms-n_per_arm": "10",
            "arms-severity_mild": "0.9",
            "arms-severity_moderate": "0.5",
            "arms-severity_severe": "0.3",
            "arms-aetiology_viral": "0.6",
            "arms-aetiology_sepsis": "0.3",
            "arms-aetiology_trauma": "0.1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split('id="id_arms-severity_mild-error"', 1)[1].split("</ul>", 1)[0]
    assert "population.severity" in error
    assert not TrialRun.objects.exists()
