"""Modified Medical Research Council (mMRC) dyspnoea scale, grades 0-4.

The grades descend from the MRC breathlessness questions of Fletcher CM,
Elmes PC, Fairbairn AS, Wood CH. The significance of respiratory symptoms and
the diagnosis of chronic bronchitis in a working population. Br Med J
1959;2(5147):257-66, doi:10.1136/bmj.2.5147.257; the 0-4 ("modified") wording
below follows the tables that cite it (e.g. Eur Respir Rev and Can Fam
Physician reproductions). Grade 0 is breathless only with strenuous exercise,
grade 4 too breathless to leave the house. There is nothing to compute: the
grade is the result.
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
        "Fletcher CM, Elmes PC, Fairbairn AS, Wood CH. Br Med J 1959;2(5147):257-66. "
        "doi:10.1136/bmj.2.5147.257 (modified 0-4 grading)"
    ),
    licence="Public scale; grade descriptions paraphrased.",
    items=(Item("mmrc_grade", ItemKind.INTEGER, "mMRC dyspnoea grade", "grade", 0, 4, options=GRADES),),
    scorer=score,
)
