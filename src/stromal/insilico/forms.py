"""The trial designer's two forms: arms from the protocols in the database, or a pasted TOML.

Both end in ``stromal.model.trial_config_from_dict``; a ``TrialConfigError`` is shown next to
the field its key belongs to, worded ``<key>: <rule>`` exactly as ``stromal trial`` prints it.
"""

from __future__ import annotations

from typing import Any

from django import forms

from stromal.insilico.services import WEB_MAX_PATIENTS
from stromal.model import TrialConfigError
from stromal.protocols.models import ProtocolVersion

#: Largest pasted TOML (characters): a trial configuration is a page or two.
MAX_TOML_CHARS = 50_000
NO_ARM = "Choose at least one protocol arm."


def config_error_message(exc: TrialConfigError) -> str:
    """``<key>: <rule>``, the words ``stromal trial: invalid configuration:`` prints."""
    return str(exc)


class TomlTrialForm(forms.Form):
    config_toml = forms.CharField(
        label="Trial TOML",
        widget=forms.Textarea(attrs={"rows": 18, "cols": 80, "spellcheck": "false"}),
        max_length=MAX_TOML_CHARS,
        strip=False,  # line numbers in TOML errors count from the first line as pasted
        help_text="The same keys as `stromal trial --config` (docs/trial-config.md; examples/*.toml).",
    )

    def show_config_error(self, exc: TrialConfigError) -> None:
        self.add_error("config_toml", config_error_message(exc))


def protocol_arm_choices() -> list[tuple[str, str]]:
    """``("<protocol version id>:<arm name>", label)`` for every arm of every protocol in the database."""
    choices: list[tuple[str, str]] = []
    for version in ProtocolVersion.objects.all():
        for arm in version.to_protocol().arms:
            if arm.is_control:
                what = "conventional treatment only"
            elif arm.dose_cells_per_kg is not None:
                what = f"{arm.route.value if arm.route else ''} {arm.dose_cells_per_kg:.3g} cells/kg"
            else:
                what = f"{arm.route.value if arm.route else ''} {arm.dose_particles or 0:.3g} particles"
            days = ", ".join(str(d) for d in arm.days)
            label = (
                f"{version.code} v{version.version}: {arm.name} ({what}{'; days ' + days if days else ''})"
            )
            choices.append((f"{version.pk}:{arm.name}", label))
    return choices


#: Designer field -> the trial TOML key it fills (errors on that key are shown next to the field).
FIELD_KEYS: dict[str, str] = {
    "title": "title",
    "seed": "seed",
    "days": "days",
    "n_per_arm": "population.n_per_arm",
    "severity_mild": "population.severity",
    "aetiology_viral": "population.aetiology",
    "include_control": "arm",
    "protocol_arms": "arm",
}


class ArmsTrialForm(forms.Form):
    """A trial of the chosen protocol arms (and conventional treatment as control), 1:1."""

    title = forms.CharField(max_length=200, initial="In-silico trial")
    protocol_arms = forms.MultipleChoiceField(
        label="Protocol arms", widget=forms.CheckboxSelectMultiple, choices=()
    )
    include_control = forms.BooleanField(
        label="Add a control arm (conventional treatment only, named 'control')", required=False, initial=True
    )
    # Bounds as stromal.model.trial_config's (days 1-3650) and the web cap; a larger seed can be
    # pasted in a TOML (the form keeps to a database integer, as every form of the app does).
    seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=1)
    days = forms.IntegerField(label="Follow-up (days)", initial=90, min_value=1, max_value=3650)
    n_per_arm = forms.IntegerField(
        label="Patients per arm", initial=100, min_value=1, max_value=WEB_MAX_PATIENTS
    )
    severity_mild = forms.FloatField(label="Mild (fraction)", initial=0.2)
    severity_moderate = forms.FloatField(label="Moderate (fraction)", initial=0.5)
    severity_severe = forms.FloatField(label="Severe (fraction)", initial=0.3)
    aetiology_viral = forms.FloatField(label="Viral (fraction)", initial=0.6)
    aetiology_sepsis = forms.FloatField(label="Sepsis (fraction)", initial=0.3)
    aetiology_trauma = forms.FloatField(label="Trauma (fraction)", initial=0.1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol_arms"].choices = protocol_arm_choices()  # type: ignore[attr-defined]

    def trial_dict(self) -> dict[str, Any]:
        """The trial configuration as plain data (what the TOML would parse to)."""
        data = self.cleaned_data
        arms: list[dict[str, Any]] = [{"name": "control"}] if data["include_control"] else []
        versions = {v.pk: v for v in ProtocolVersion.objects.all()}
        for value in data["protocol_arms"]:
            pk, arm_name = value.split(":", 1)
            arm = versions[int(pk)].to_protocol().arm(arm_name)
            arms.append(_arm_data(arm))
        return {
            "title": data["title"],
            "seed": data["seed"],
            "days": data["days"],
            "population": {
                "n_per_arm": data["n_per_arm"],
                "severity": {k: data[f"severity_{k}"] for k in ("mild", "moderate", "severe")},
                "aetiology": {k: data[f"aetiology_{k}"] for k in ("viral", "sepsis", "trauma")},
            },
            "arm": arms,
        }

    def show_config_error(self, exc: TrialConfigError) -> None:
        message = config_error_message(exc)
        for field, key in FIELD_KEYS.items():
            if exc.key == key or exc.key.startswith((key + ".", key + "[")):
                self.add_error(field, message)
                return
        self.add_error(None, message)


def _arm_data(arm: Any) -> dict[str, Any]:
    """An ``Arm`` as the plain data of a TOML ``[[arm]]`` table (enums as values, Nones dropped)."""
    from dataclasses import asdict

    out: dict[str, Any] = {}
    for key, value in asdict(arm).items():
        if value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else getattr(value, "value", value)
    return out
