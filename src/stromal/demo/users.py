from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction

from stromal.accounts.models import Site, User
from stromal.accounts.roles import Role

DEMO_SITE_CODE = "demo"
DEMO_WARNING = (
    "DEMO ONLY: these logins use synthetic data and random passwords. "
    "Never use them, or the demo cohort, on a real deployment."
)


DEMO_SECOND_FACTOR = (
    "Second factor: `make run` serves the demo with STROMAL_MFA_REQUIRED_ROLES empty, so these "
    "logins need a password only. Without it (and always in production) physicians and "
    "administrators set up an authenticator app at their first sign-in."
)


def demo_username(role: Role) -> str:
    return f"demo-{role.value}"


@transaction.atomic
def ensure_demo_site() -> Site:
    site, _ = Site.objects.get_or_create(code=DEMO_SITE_CODE, defaults={"name": "Demo clinic (synthetic)"})
    return site


#: A second lab / pharmacy login: the person who releases a lot must not be the one
#: who recorded its release tests (segregation of duties).
SECOND_LAB_USERNAME = "demo-lab-release"


def ensure_demo_users() -> dict[str, str]:
    """Create the missing demo logins; return {username: password} of those created now."""
    site = ensure_demo_site()
    created: dict[str, str] = {}
    logins = [(demo_username(role), role, f"Demo {role.label}") for role in Role]
    logins.append((SECOND_LAB_USERNAME, Role.LAB, "Demo Lab / pharmacy (releases lots)"))
    with transaction.atomic():
        for username, role, printed_name in logins:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username,
                password=password,
                role=role.value,
                site=site,
                printed_name=printed_name,
                first_name="Demo",
                last_name=role.label,
            )
            user.save()
            created[username] = password
    credentials_file = settings.VAR_DIR / "demo-credentials.txt"
    if created:
        lines = [DEMO_WARNING, ""] + [f"{u}  {p}" for u, p in created.items()]
        with credentials_file.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        credentials_file.chmod(0o600)
        print("\n" + "=" * 72)
        print(DEMO_WARNING)
        print("Demo logins (shown once; also kept in var/demo-credentials.txt):")
        for username, password in created.items():
            print(f"  {username:<20} {password}")
        print(DEMO_SECOND_FACTOR)
        print("=" * 72 + "\n")
    else:
        print(f"Demo logins already exist; their passwords are in {credentials_file}.")
    return created
