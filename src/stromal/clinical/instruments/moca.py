"""Montreal Cognitive Assessment (MoCA): total with the education point.

Nasreddine ZS, Phillips NA, Bédirian V, et al. The Montreal Cognitive
Assessment, MoCA: a brief screening tool for mild cognitive impairment. J Am
Geriatr Soc 2005;53(4):695-9, doi:10.1111/j.1532-5415.2005.53221.x. The total
is 0-30; one point is added for 12 years or fewer of formal education, up to
the maximum of 30; a total of 26 or more is normal, so ``impaired`` means an
adjusted total below 26.

Only the examiner's raw total and the years of education are recorded: the
MoCA test form is copyrighted and its use needs the developers' permission
and training, so no item of it is shipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import Instrument, Item, ItemKind, ScoreValue, Subject, Value, whole

MAX_SCORE = 30
#: Adjusted totals at or above this are normal (Nasreddine 2005).
NORMAL_FROM = 26
#: Up to this many years of formal education earn the extra point.
EDUCATION_POINT_UP_TO_YEARS = 12


def adjusted_score(raw_score: int, education_years: int) -> int:
    """Raw total plus one point for <= 12 years of education, capped at 30."""
    bonus = 1 if education_years <= EDUCATION_POINT_UP_TO_YEARS else 0
    return min(MAX_SCORE, raw_score + bonus)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """``raw_score``, ``education_point`` (0 or 1), ``adjusted_score`` and ``impaired`` (< 26)."""
    raw = whole(answers, "moca_score")
    adjusted = adjusted_score(raw, whole(answers, "education_years"))
    return {
        "raw_score": raw,
        "education_point": adjusted - raw,
        "adjusted_score": adjusted,
        "impaired": adjusted < NORMAL_FROM,
    }


INSTRUMENT = Instrument(
    code="moca",
    version="1",
    title="Montreal Cognitive Assessment (MoCA)",
    source=(
        "Nasreddine ZS, Phillips NA, Bédirian V, et al. The Montreal Cognitive Assessment, MoCA: a "
        "brief screening tool for mild cognitive impairment. J Am Geriatr Soc 2005;53(4):695-9. "
        "doi:10.1111/j.1532-5415.2005.53221.x"
    ),
    licence=(
        "The MoCA form is copyrighted (use needs permission and training from its developers); "
        "only the total and the years of education are recorded here."
    ),
    items=(
        Item("moca_score", ItemKind.INTEGER, "MoCA raw total, before the education point", "points", 0, 30),
        Item("education_years", ItemKind.INTEGER, "years of formal education", "years", 0, 30),
    ),
    scorer=score,
)
