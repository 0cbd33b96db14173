"""FHIR R4B: a patient's ``$everything`` Bundle, bulk NDJSON ``$export``, and laboratory Observation import."""
