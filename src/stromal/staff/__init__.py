"""Administration: the people who sign in, the sites, and the security log.

For the administrator of a site (``Role.ADMIN``), who manages the accounts
of their own site (create, edit, deactivate, never delete; a one-time link
to set a password), edits their site and opens new sites with their first
administrator, reads the security log (sign-ins, sign-outs, failed sign-ins
and signatures, lockouts) and unlocks a locked account or address with a
reason. Every change is audited.
"""
