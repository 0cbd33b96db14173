"""The REST API (``/api/v1/``, django-ninja) and the per-user API tokens it and FHIR accept.

Public pieces: ``api.api`` (the NinjaAPI), ``auth.request_api_user`` (token or
session user, for other endpoints), ``services.api_token_create`` /
``api_token_revoke`` / ``api_token_authenticate``, ``problems.problem``
(RFC 9457 responses) and ``extensions.VISIT_SECTIONS`` (what other apps add to a
follow-up visit).
"""
