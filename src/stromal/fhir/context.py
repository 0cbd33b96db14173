"""How a course becomes resources: identified or pseudonymised, and the ids and references used.

Resource ids are the record's kind and primary key (``enc-12``, ``obs-340``),
stable across exports. The Patient's own id is its primary key when
identified; pseudonymised, it is a keyed hash (HMAC-SHA-256 with the
server's secret key, 20 hex characters), the same in every export of the
same server, so exports can be linked over time by whoever receives them,
and back to the person only by the registry that holds the key.

Pseudonymised resources leave out: names, record number, contact details,
the day and month of birth (the year stays), free text (notes, findings,
descriptions, reasons), the names of staff and witnesses, and the ISBT 128
donation number (it is on the unit's label in the clinic's records). Dates
stay: the course in time is what research exports are for.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from stromal.fhir.codes import V3_OBSERVATION_VALUE

PSEUDONYM_LENGTH = 20
PSEUDONYMISED_META: dict[str, Any] = {
    "security": [{"system": V3_OBSERVATION_VALUE, "code": "PSEUDED", "display": "pseudonymized"}]
}


def pseudonym(patient_id: int) -> str:
    """The patient's stable pseudonym on this server (HMAC-SHA-256 of the id under a key derived
    from SECRET_KEY, so the pseudonym reveals neither)."""
    key = hashlib.sha256(("stromal-fhir-pseudonym:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, str(patient_id).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


@dataclass
class MapContext:
    """What every mapper needs beyond the records: the mode and the users' names."""

    identified: bool
    user_names: dict[int, str] = field(default_factory=dict)
    # Pseudonyms computed once per patient (an HMAC per reference would cost a bulk export dearly).
    _ids: dict[int, str] = field(default_factory=dict, repr=False)

    def patient_id(self, pk: int) -> str:
        found = self._ids.get(pk)
        if found is None:
            found = self._ids[pk] = str(pk) if self.identified else pseudonym(pk)
        return found

    def patient_ref(self, pk: int) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id(pk)}"}

    def person(self, user_id: int | None) -> dict[str, str] | None:
        """A member of staff as a display-only reference (identified), else None."""
        if user_id is None or not self.identified:
            return None
        return {"display": self.user_names.get(user_id, f"user {user_id}")}

    def text(self, value: str) -> str | None:
        """Free text, identified only (it may name people)."""
        return value.strip() or None if self.identified else None

    def stamp(self, resource: dict[str, Any]) -> dict[str, Any]:
        """``resource`` with the pseudonymised ``meta`` where it applies (in place)."""
        if not self.identified:
            resource["meta"] = PSEUDONYMISED_META
        return resource

    def meta(self) -> dict[str, Any] | None:
        """Pseudonymised resources say so (HL7 v3 ObservationValue PSEUDED)."""
        return None if self.identified else PSEUDONYMISED_META


def ref(kind: str, pk: int) -> dict[str, str]:
    """A reference to one of our resources: ``{"reference": "Encounter/enc-12"}``."""
    return {"reference": f"{kind}/{rid(kind, pk)}"}


#: Resource type -> id prefix.
PREFIX = {
    "Encounter": "enc",
    "Observation": "obs",
    "CarePlan": "plan",
    "Consent": "consent",
    "Procedure": "adm",
    "BiologicallyDerivedProduct": "lot",
    "AdverseEvent": "ae",
    "Condition": "ards",
    "Appointment": "visit",
}


def rid(kind: str, pk: int | str) -> str:
    return f"{PREFIX[kind]}-{pk}"


def clean(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty elements (FHIR forbids empty values, arrays and objects).

    Recursive, so it costs: the mappers of the most numerous resources (observations, visits,
    encounters) build their dicts without empty elements and leave this out.
    """
    out: dict[str, Any] = {}
    for key, value in resource.items():
        kind = type(value)
        if kind is dict:
            value = clean(value)
        elif kind is list:
            value = [clean(v) if type(v) is dict else v for v in value]
            value = [v for v in value if v is not None and v != "" and v != {} and v != []]
        if value is None or value == "" or value == {} or value == []:
            continue
        out[key] = value
    return out
