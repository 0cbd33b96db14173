"""Modified Medical Research Council (mMRC) dyspnoea scale, grades 0-4.

The grades descend from the MRC breathlessness questions of Fletcher CM et al.
Br Med J 1959;2:257-66, the source that published mMRC tables name when they
adapt it (for example the table "Modified Medical Research Council dyspnea
scale" in Can Fam Physician, "adapted from Br Med J 1959;2:257-66"); the 0-4
wording below paraphrases those tables. Grade 0 is breathless only with
strenuous exercise, grade 4 too breathless to leave the house. There is
nothing to compute: the grade is the result. (The DOI of the 1959 paper was
not verified, so none is given.)
"""

from __future__ import annotations

from collections.abc import Mapping

from stromal.clinical.instruments.base import Instrument, Item, ItemKind, ScoreValue, Subject, Value, whole

GRADES: tuple[tuple[int | str, str], ...] = (
    (0, "breathless only with strenuous exercise"),
    (1, "short of breath when hurrying on the level or walking up a slight hill"),
    (2, "walks slower than people of the same age on the level, or stops for breath at own pace"),
    (3, "stops for breath after about 100 m or a few minutes on the level"),
    (4, "too breathless to leave the house, or breathless when dressing or undressing"),
)


def score(answers: Mapping[str, Value], subject: Subject | None) -> dict[str, ScoreValue]:
    """``grade`` (0-4) and its ``description``."""
    grade = whole(answers, "mmrc_grade")
    return {"grade": grade, "description": dict(GRADES)[grade]}


INSTRUMENT = Instrument(
    code="mmrc",
    version="1",
    title="mMRC dyspnoea scale",
    source=(
        "Fletcher CM et al. Br Med J 1959;2:257-66 (the modified 0-4 grading as tabulated by the "
        "published mMRC tables that adapt it)"
    ),
    licence="Public scale; grade descriptions paraphrased.",
    items=(Item("mmrc_grade", ItemKind.INTEGER, "mMRC dyspnoea grade", "grade", 0, 4, options=GRADES),),
    scorer=score,
)
