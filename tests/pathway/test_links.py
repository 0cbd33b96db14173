from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from stromal.pathway.links import pk_reverse


@pytest.mark.parametrize(
    "name",
    [
        "intake:detail",
        "pathway:patient",
        "plans:detail",
        "examinations:detail",
        "followup:calendar",
        "followup:discharge",
        "administrations:detail",
        "administrations:allocate",
        "administrations:ae_detail",
    ],
)
@pytest.mark.parametrize("pk", [1, 42, 10_000_000])
def test_it_gives_the_same_url_as_reverse(name: str, pk: int) -> None:
    assert pk_reverse(name, pk) == reverse(name, args=[pk])


def test_it_follows_the_script_prefix_of_a_deployment_under_a_path() -> None:
    set_script_prefix("/stromal/")
    try:
        assert pk_reverse("intake:detail", 7) == reverse("intake:detail", args=[7])
        assert pk_reverse("intake:detail", 7).startswith("/stromal/")
    finally:
        set_script_prefix("/")
