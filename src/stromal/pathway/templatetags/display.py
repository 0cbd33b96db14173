"""Template filters for ``stromal.display``: ``{% load display %}``, then ``{{ lot.cells|cells }}``.

Filters: ``number``, ``quantity:"unit"``, ``cells``, ``cells_per_kg``, ``particles``,
``observation_label`` / ``observation_name`` (a key as its form label, with / without unit),
``observation:key`` (a recorded value with its unit),
``yes_no``, ``code_label`` (protocol codes), ``label:"<choice set>"`` (a code read
through a model's own choices, see ``CHOICE_SETS``), ``arm_label`` (an ``Arm``) and
``plan_arm`` (a plan's arm, read from its protocol version).
"""

from __future__ import annotations

from typing import Any

from django import template

from stromal import display
from stromal.clinical.protocol import Arm, ProtocolError
from stromal.patients.models import SEX_CHOICES
from stromal.plans.models import CONVENTIONAL_OPTION
from stromal.products.models import ProductType

register = template.Library()

# Named sets of model choices a template may read a code through (labels are the models' own).
CHOICE_SETS: dict[str, list[tuple[str, str]]] = {
    "sex": list(SEX_CHOICES),
    "product": list(ProductType.choices),
}

register.filter("number", display.number)
register.filter("cells", display.cells)
register.filter("cells_per_kg", display.cells_per_kg)
register.filter("particles", display.particles)
register.filter("yes_no", display.yes_no)
register.filter("code_label", display.code_label)


@register.filter
def quantity(value: object, unit: str = "") -> str:
    return display.quantity(value, unit)


@register.filter
def label(code: object, choice_set: str) -> str:
    """``{{ plan.sex|label:"sex" }}`` -> ``Female``; an unknown set is a template error, not a silent code."""
    return display.choice_label(code, CHOICE_SETS[choice_set])


@register.filter
def arm_label(arm: Arm) -> str:
    return display.arm_label(arm, ProductType.choices)


@register.filter
def plan_arm(plan: Any) -> str:
    """A plan's arm as its protocol version defines it (the arm's code if the version lacks it)."""
    try:
        arm = plan.protocol_version.to_protocol().arm(plan.arm_name)
    except (KeyError, ProtocolError):
        return display.humanize_code(plan.arm_name)
    return display.arm_label(arm, ProductType.choices)


@register.filter
def observation_label(key: str) -> str:
    """An observation key as its field reads on the form: ``pao2_mmhg`` -> ``PaO2 (mmHg)``."""
    from stromal.examinations.fields import SPECS
    from stromal.forms_clinical import field_label

    spec = SPECS.get(key)
    return field_label(spec) if spec is not None else display.humanize_code(key)


@register.filter
def observation_name(key: str) -> str:
    """An observation key as words, without its unit (the value shows it): ``heart_rate_bpm`` -> ``Heart rate``."""
    from stromal.examinations.fields import SPECS

    spec = SPECS.get(key)
    text = spec.description if spec is not None else display.humanize_code(key)
    return text[:1].upper() + text[1:]


@register.filter
def observation(value: object, key: str) -> str:
    """A recorded observation with its unit (``98 /min``), a yes/no (``yes``) or a choice (``hfno``)."""
    from stromal.examinations.fields import SPECS

    spec = SPECS.get(key)
    if isinstance(value, bool):
        return display.yes_no(value)
    if isinstance(value, str):
        return display.humanize_code(value)
    return display.quantity(value, spec.unit if spec is not None else "")


@register.filter
def arms_of(names: Any, plan: Any) -> str:
    """``{{ meeting.options_discussed|arms_of:plan }}``: arm codes of the plan's protocol, in words."""
    try:
        protocol = plan.protocol_version.to_protocol()
    except ProtocolError:
        return ", ".join(display.humanize_code(n) for n in names)
    words = []
    for name in names:
        if name == CONVENTIONAL_OPTION:
            words.append("conventional treatment only")
            continue
        try:
            words.append(display.arm_label(protocol.arm(name), ProductType.choices))
        except KeyError:
            words.append(display.humanize_code(name))
    return ", ".join(words)
