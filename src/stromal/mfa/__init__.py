"""Second factor at sign-in: TOTP authenticator apps and single-use recovery codes (django-otp).

Public API: ``policy.second_factor_required``, the services in ``services`` and the pages
mounted under ``/accounts/mfa/`` (``mfa:`` URL names).
"""
