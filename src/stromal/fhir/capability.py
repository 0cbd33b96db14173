"""``/fhir/metadata``: what this server does, as a CapabilityStatement (built with fhir.resources R4B)."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from stromal import __version__

#: Resource types the server returns (in $everything and $export) and what it does with each.
RESOURCE_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "CarePlan",
    "Consent",
    "Procedure",
    "BiologicallyDerivedProduct",
    "AdverseEvent",
    "Appointment",
)


def capability_statement(base_url: str) -> dict[str, Any]:
    """The CapabilityStatement, validated by fhir.resources R4B as it is built."""
    resources: list[dict[str, Any]] = []
    for kind in RESOURCE_TYPES:
        resource: dict[str, Any] = {"type": kind, "interaction": []}
        if kind == "Patient":
            resource["interaction"] = [{"code": "read"}]
            resource["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "documentation": "The patient's whole course (identified), for a clinical reader of its site.",
                },
                {
                    "name": "lab-import",
                    "definition": "urn:stromal:fhir:OperationDefinition/Patient-lab-import",
                    "documentation": (
                        "POST a Bundle of laboratory Observations for the patient (each with its Encounter); "
                        "all or nothing, through the examination services; ?dryRun=true returns the report "
                        "without saving."
                    ),
                },
            ]
        else:
            resource.pop("interaction")
            resource["documentation"] = "Returned by Patient/$everything and $export."
        resources.append(resource)
    statement = CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "id": "stromal",
            "status": "active",
            "date": timezone.now().isoformat(),
            "kind": "instance",
            "software": {"name": "Stromal", "version": __version__},
            "implementation": {
                "description": "Stromal registry (research and clinical-study software, not a medical device)",
                "url": base_url.rstrip("/"),
            },
            "fhirVersion": "4.3.0",
            "format": ["application/fhir+json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Authentication: 'Authorization: Bearer <token>' with a per-user API token, or a signed-in "
                        "session. Each user sees the records of their own site only."
                    ),
                    "security": {
                        "description": "Per-user API tokens (Bearer); role and site decide what is returned.",
                    },
                    "resource": resources,
                    "operation": [
                        {
                            "name": "export",
                            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                            "documentation": (
                                "Bulk Data kick-off (Prefer: respond-async): every patient of your site as NDJSON, "
                                "pseudonymised; identified=true with a reason for the roles allowed to."
                            ),
                        }
                    ],
                }
            ],
        }
    )
    data: dict[str, Any] = json.loads(statement.model_dump_json())
    return data
