"""Timeline steps for the second half of the pathway: administrations,
discharge and follow-up. Pure rules over ``CourseFacts.extra`` (filled by
``stromal.followup.course.course_extra``), appended to
``PATHWAY_STEPS`` by ``stromal.pathway.selectors.patient_timeline``.

``extra`` keys: ``sessions`` (list of dicts: id, sequence, day, date, status,
has_product, awaiting_confirmation), ``n_administrations``, ``plan_id``,
``discharge_at``, ``visits_total``, ``visits_closed``, ``next_visit`` (dict:
name, window_start, window_end, overdue).
"""

from __future__ import annotations

from typing import Any

from stromal.pathway.timeline import BLOCKED, DONE, SKIPPED, UPCOMING, CourseFacts, Step

_ENDED = {"completed", "stopped_early", "cancelled"}  # stopped_early: given, shorter than the minimum

# What the open session needs next, by status: (action, roles).
_SESSION_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "scheduled": ("Thaw / prepare the allocated unit", ("nurse",)),
    "prepared": ("Bedside identity check by two people (patient and product)", ("nurse", "physician")),
    "checked": ("Record baseline vitals and start the administration", ("nurse",)),
    "running": ("Enter vitals on the protocol's schedule; finish with the amount given", ("nurse",)),
    "interrupted": ("Resume the interrupted administration or record the amount given", ("nurse",)),
    "stopped": ("Record the amount given before the stop", ("nurse",)),
}


def _sessions(f: CourseFacts) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = list(f.extra.get("sessions", []))
    return sessions


def _treated(f: CourseFacts) -> bool:
    return f.decision == "accept" and not f.plan_is_control


def administrations_step(f: CourseFacts) -> Step:
    title = "Administrations"
    sessions = _sessions(f)
    # A course revised to conventional treatment after doses were given still shows them.
    if f.plan_is_control and f.decision == "accept" and not sessions:
        return Step("administrations", title, SKIPPED, detail="conventional treatment only")
    n = int(f.extra.get("n_administrations") or len(sessions) or 0)
    if not sessions:
        link = ("plans:detail", f.plan_id) if f.plan_id else None
        return Step(
            "administrations",
            title,
            UPCOMING,
            detail=f"0 of {n}" if n else "",
            action="Schedule the administration days of the accepted plan",
            roles=("nurse", "coordinator"),
            link=link,
        )
    done = [s for s in sessions if s["status"] in _ENDED or (s["status"] == "stopped" and s["given"])]
    if f.plan_is_control and all(s in done for s in sessions):
        detail = f"{len(done)} of {len(sessions)} done, then conventional treatment only · " + ", ".join(
            f"day {s['day']}: {s['status']}" for s in sessions
        )
        return Step(
            "administrations", title, DONE, detail=detail, link=("administrations:detail", sessions[-1]["id"])
        )
    detail = f"{len(done)} of {len(sessions)} done · " + ", ".join(
        f"day {s['day']}: {s['status']}" for s in sessions
    )
    for s in sessions:
        link = ("administrations:detail", s["id"])
        if s["status"] == "stopped" and s["awaiting_confirmation"]:
            return Step(
                "administrations",
                title,
                BLOCKED,
                detail=detail,
                action=f"Confirm the stopping-rule event of administration {s['sequence']}",
                roles=("physician",),
                link=link,
            )
        if s in done:
            continue
        roles: tuple[str, ...]
        if s["status"] == "scheduled" and not s["has_product"]:
            action, roles = f"Allocate a released unit to administration {s['sequence']}", ("lab",)
        else:
            action, roles = _SESSION_ACTIONS.get(s["status"], ("Open the administration", ("nurse",)))
            action = f"{action} (administration {s['sequence']}, {s['date']})"
        return Step("administrations", title, UPCOMING, detail=detail, action=action, roles=roles, link=link)
    return Step(
        "administrations", title, DONE, detail=detail, link=("administrations:detail", sessions[-1]["id"])
    )


def discharge_step(f: CourseFacts) -> Step:
    title = "Discharge"
    at = f.extra.get("discharge_at")
    if at is not None:
        return Step("discharge", title, DONE, at, link=("followup:calendar", f.patient_id))
    if not _treated(f) and not (f.plan_is_control and f.decision == "accept"):
        return Step("discharge", title, UPCOMING)
    return Step(
        "discharge",
        title,
        UPCOMING,
        action="Discharge examination and summary (generates the follow-up calendar)",
        roles=("physician",),
        link=("followup:discharge", f.plan_id) if f.plan_id else None,
    )


def followup_step(f: CourseFacts) -> Step:
    title = "Follow-up"
    total = int(f.extra.get("visits_total") or 0)
    closed = int(f.extra.get("visits_closed") or 0)
    link = ("followup:calendar", f.patient_id)
    if total and closed >= total:
        return Step("followup", title, DONE, detail=f"{closed} of {total} visits", link=link)
    nxt = f.extra.get("next_visit")
    if not total or not nxt:
        return Step("followup", title, UPCOMING, detail="scheduled at discharge")
    late = " — OVERDUE" if nxt["overdue"] else ""
    return Step(
        "followup",
        title,
        UPCOMING,
        detail=f"{closed} of {total} visits",
        action=f"Follow-up visit {nxt['name']}, window {nxt['window_start']} to {nxt['window_end']}{late}",
        roles=("coordinator",),
        link=link,
    )


COURSE_STEPS = [administrations_step, discharge_step, followup_step]
