"""Writes ``docs/model.md`` from the model definition, so the docs cannot drift.

Run ``python -m stromal.model.docs_gen [PATH]`` after changing the model; a
test fails while the committed file differs from what this produces.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

from stromal.model.definition import MODEL, ModelDefinition
from stromal.model.dosing import ADMINISTRATION_OFFSET_H
from stromal.model.parameters import AETIOLOGY_PRIORS

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "docs" / "model.md"
TRIAL_CONFIG_PATH = DEFAULT_PATH.parent / "trial-config.md"

ASSUMPTIONS = """\
## Stated assumptions and known limitations

- **A new composition, not a validated model.** No published model chains
  inflammation → edema → P/F → fibrosis with MSC treatment. Each piece has a
  source; the way they are joined, and every value marked *assumed* or
  *free*, is Stromal's assumption. Use it to explore questions, not to
  predict a patient's course.
- **Reynolds core unchanged.** With no MSC and no exosomes the first four
  states are exactly Reynolds et al. 2006 (regression test: resolution,
  septic and aseptic outcome classes over 500 h). Its damage index D has no
  clinical unit; the barrier layer maps it to injury through a saturating
  function with a patient susceptibility.
- **Outcome classes drive mortality.** Courses that settle in the Reynolds
  septic or aseptic state keep the barrier injured, the lung flooded and the
  patient hypoxaemic, so the hazard stays high; resolving courses carry a
  hazard only while they are hypoxaemic. Mortality is an outcome of the
  hazard, never an input.
- **Time zero is the insult**, not enrolment; enrolment (day 0) is at the
  per-patient parameter `enrolment_time_h`. Administrations on protocol day
  d happen at enrolment + 24 d + {offset:g} h (enrolment taken as 08:00,
  dosing at 10:00). Infusions and nebulisations are boluses.
- **FiO2 is fixed per patient**; it is not titrated to an SpO2 target, so
  P/F late in the course is computed at the enrolment FiO2.
- **PaO2 is a fast state** relaxing (time constant 5 min) to the root of the
  iso-shunt O2-content balance, because that root has no closed form once
  dissolved O2 is counted. Shunt rises linearly with the flooded fraction of
  alveoli; ventilator settings (PEEP, recruitment) are not modelled.
- **IL-6** is a read-out driven by effective activated phagocytes; it does
  not feed back on the core (the core's pro-inflammatory action is carried by
  N*). Its scale is set so non-resolving courses reach hundreds of pg/mL.
- **Fibrosis**: the macrophage–myofibroblast circuit keeps the structure of
  Adler et al. 2020 (mutual growth-factor support, bistable healing vs
  fibrosis) with growth factors at quasi-steady state and rates assumed;
  long-term FVC and DLCO fall with the myofibroblast burden.
- **Residual lung injury and ICU-acquired weakness** (0.3.0): a slow state
  accrues with barrier injury and resolves with a half-life of about 16
  months, lowering DLCO (60 % at most) far more than FVC (15 %), because
  survivors' spirometry was normal by 6 months while DLCO stayed low through
  the first year and lung function was near-normal at 5 years (Herridge MS
  et al., N Engl J Med 2003;348:683-93 and 2011;364:1293-304). A weakness
  state accrues with organ dysfunction and lung injury and recovers with a
  half-life of about 1.6 years on top of a persistent per-patient deficit
  (mean 15 %); 6MWD (trial endpoint,
  `stromal.model.endpoints.six_minute_walk_m`) is Enright predicted ×
  walking capacity × sqrt(DLCO %/100). Rates were tuned by hand to
  `calibration_targets/long_term.toml` (6MWD 63 / 66 / 76 % of predicted at
  6 months, 1 and 5 years; Chan KS et al., Thorax 2017;72:884-92 for 6
  months).
- **MSC and exosome effects have no quantitative human data.** Secretome
  effects are Emax functions of one exposure (lung viable MSC and airway
  exosomes, each in units of its EC50); their potencies are free parameters
  with modest nominal values. Product viability scales the dose.
- **Population priors** are assumptions: aetiology shifts the insult
  parameters (`AETIOLOGY_PRIORS`: viral k_pg 0.28 /h, P(0) 0.7; sepsis
  k_pg 0.35 /h, P(0) 0.5; trauma P(0) 0.1 with sterile damage D(0) 1) and
  the non-pulmonary organ risk (organ dysfunction at the insult, mean 0.25 /
  0.40 / 0.15, and organ susceptibility, median 1 / 1.8 / 0.5 for viral /
  sepsis / trauma, after Sheu 2010: sepsis-related ARDS 38.2 % vs 22.6 %
  60-day mortality, and Calfee 2007: trauma ARDS dies less). They
  sit mostly below the Reynolds threshold (P(0) ~1 at k_pg 0.3), so most ARDS
  resolves and a minority stays in the persistent "aseptic"/"septic" states;
  lung susceptibility (CV 1) spreads the Berlin grade.
- **Calibration** (`stromal calibrate`, `calibration_targets/*.toml`) scales
  the populations of the fitted parameters (hazard scale, organ-failure
  hazard weight, insult size, lung susceptibility, barrier repair, MSC EC50
  and anti-inflammatory potency) by
  the multipliers in `calibrated.toml`; trials apply them by default; the
  report with every target and its misses is `docs/calibration/`.
- **Death hazard** (changed in 0.3.0): hypoxaemia, non-pulmonary organ
  failure and MSC-induced microthrombosis, each a saturating term scaled by
  a per-patient frailty and by age. Organ dysfunction is a state (a
  normalised non-respiratory SOFA proxy) present at the insult (shock,
  comorbid organ failure) and fed by systemic inflammation (Reynolds D)
  through a per-patient susceptibility independent of the lung, so that mild
  ARDS dies mostly of non-pulmonary organ failure, as it does clinically
  (Montgomery 1985; LUNG SAFE mild ARDS: Pham T et al., Anesthesiology
  2019;130:263-83). The barrier-failure and systemic-damage terms of 0.2.0
  remain with weight 0: they made the mortality gradient across Berlin
  grades too steep (mild 16 %, severe 53 %). Control 60-day mortality by
  grade is printed by `benchmarks/bench_mortality_by_grade.py` and checked
  out of sample by `stromal validate` (`docs/validation/`).
- **Known miss: moderate ARDS dies too often** (0.3.0). Out of sample,
  control 60-day mortality is about 29 / 39 / 44 % by Berlin grade against
  Ranieri 2012's 27 / 32 / 45 %. Between moderate and severe the model
  gives 5-10 points where Berlin gives 13, at every setting tried (2026-12-01,
  1,000 patients per grade): the organ-failure weight and half-point, the
  hazard scale, the hypoxaemia threshold and steepness, the initial organ
  dysfunction, and the 0.2.0 barrier-failure term switched back on (which
  raised moderate as much as severe). The grade at enrolment predicts the
  course after enrolment too weakly: moderate and severe virtual patients
  converge. A fix needs structure (for example a course that depends on
  the enrolment P/F, or oxygenation failure that persists), not new values.
- **Harm** (0.3.0): intravenous MSC carry tissue factor and trigger the
  instant blood-mediated inflammatory reaction, dose-, donor- and
  passage-dependently (Moll G et al., Stem Cells 2012;30:1565-74; Moll 2019,
  Trends Mol Med 25:149-63). Lung-entrapped MSC form microthrombi at a rate
  proportional to the cells and to a per-patient tissue-factor activity
  (log-normal, CV about 1); fibrinolysis clears them (half-life about 12 h);
  the burden adds to the death hazard. At 1e6 cells/kg the effect is minor
  (as Moll 2012 observed at 1-3e6/kg); at 1e8-1e9 cells/kg it outweighs the
  saturated benefit, so a virtual patient can die under treatment who
  survives untreated (`benchmarks/bench_dose_response.py`). The size of the
  harm is an assumption: no human dose-toxicity curve exists.
- **Ventilation** is not a state: liberation is P/F >= 250 mmHg at the
  patient's FiO2 sustained 48 h (`stromal.model.endpoints.ventilation_days`).
"""


def _name(symbol: sp.Symbol) -> str:
    return r"\mathrm{" + str(symbol.name).replace("_", r"\_") + "}"


def _latex(expr: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    return str(sp.latex(sp.sympify(expr), symbol_names=names, mul_symbol="dot"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(model: ModelDefinition = MODEL) -> str:
    """The Markdown text of ``docs/model.md`` for ``model``."""
    symbols = (
        list(model.state_symbols) + list(model.parameter_symbols) + [a.symbol for a in model.auxiliaries]
    )
    names = {s: _name(s) for s in symbols}
    lines = [
        f"# Model `{model.name}` version {model.version}",
        "",
        "_Generated by `python -m stromal.model.docs_gen` from `stromal/model/definition.py`; do not edit._",
        "",
        "Research model: a new composition of published pieces (see sources), **not a validated model**.",
        f"Time unit: hours. {len(model.states)} states, {len(model.parameters)} parameters, "
        f"{len(model.observables)} observables. Digest `{model.digest()[:16]}`.",
        "",
        "## States",
        "",
        "| # | state | unit | description | initial value |",
        "|---|---|---|---|---|",
    ]
    for i, (sym, st) in enumerate(zip(model.state_symbols, model.states, strict=True)):
        init = st.compact_initial if st.compact_initial is not None else st.initial
        lines.append(
            f"| {i} | `{sym.name}` | {st.unit} | {_cell(st.description)} | ${_latex(init, names)}$ |"
        )
    lines += ["", "## Auxiliary quantities (evaluated in this order)", ""]
    for a in model.auxiliaries:
        lines += [
            f"- `{a.name}` ({a.unit}): {a.description}",
            "",
            f"$$ {_name(a.symbol)} = {_latex(a.expr, names)} $$",
            "",
        ]
    lines += ["## Equations", ""]
    for sym, st, expr in zip(model.state_symbols, model.states, model.compact_rhs or model.rhs, strict=True):
        lines += [
            f"**{st.name}** ({st.unit} per hour)",
            "",
            rf"$$ \frac{{d\,{_name(sym)}}}{{dt}} = {_latex(expr, names)} $$",
            "",
        ]
    lines += ["## Observables", "", "| observable | unit | description | expression |", "|---|---|---|---|"]
    for o in model.observables:
        expr = o.compact if o.compact is not None else o.expr
        lines.append(f"| `{o.name}` | {o.unit} | {_cell(o.description)} | ${_latex(expr, names)}$ |")
    lines += [
        "",
        "## Dose targets",
        "",
        *(f"- route `{route}` → state `{state}`" for route, state in sorted(model.dose_targets.items())),
        "",
        "## Parameters",
        "",
        "Free parameters (fitted by `stromal calibrate`) are marked **yes**.",
        "",
        "| parameter | value | unit | distribution | free | description | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in model.parameters:
        lines.append(
            f"| `{p.name}` | {p.value:g} | {_cell(p.unit)} | {_cell(p.distribution.describe())} | "
            f"{'**yes**' if p.free else 'no'} | {_cell(p.description)} | {_cell(p.source)} |"
        )
    lines += ["", "## Aetiology priors (replace the default distributions above)", ""]
    lines += ["| aetiology | parameter | distribution |", "|---|---|---|"]
    for aetiology, priors in AETIOLOGY_PRIORS.items():
        for name, dist in priors.items():
            lines.append(f"| {aetiology} | `{name}` | {dist.describe()} |")
    lines += ["", ASSUMPTIONS.format(offset=ADMINISTRATION_OFFSET_H)]
    return "\n".join(lines)


_SECTIONS = (
    ("", "Top level"),
    ("population.", "`[population]`: who is enrolled"),
    ("arm[].", "`[[arm]]`: one table per arm (an arm without `route` is the control arm)"),
    ("analysis.", "`[analysis]` (optional)"),
    ("sweep.", "`[sweep]` (optional): dose–response or schedule sweep on the same patients"),
)


def _default_text(default: object) -> str:
    from stromal.model.trial_config import REQUIRED

    if default == REQUIRED:
        return "**required**"
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, tuple):
        if len(default) == 2 and default[0] == default[1]:
            return f"{default[0]:g}"
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else f"{v:g}" for v in default) + "]"
    if isinstance(default, str):
        return f'"{default}"'
    return f"{default:g}" if isinstance(default, float) else str(default)


def render_trial_config() -> str:
    """The Markdown text of ``docs/trial-config.md``, from ``trial_config.KEYS`` and ``dose_range``."""
    from stromal.clinical.protocol import Route, builtin_protocols
    from stromal.model.dose_range import FIXED_DOSE_NOTE, studied_range
    from stromal.model.trial_config import KEYS

    ranges = {route: studied_range(route) for route in (Route.IV, Route.INHALED)}
    fill = {
        "iv": ranges[Route.IV].describe(),
        "inhaled": ranges[Route.INHALED].describe(),
        "protocols": ", ".join(sorted(p.code for p in builtin_protocols())),
    }
    lines = [
        "# Trial configuration (`stromal trial --config trial.toml`)",
        "",
        "_Generated by `python -m stromal.model.docs_gen` from `stromal/model/trial_config.py` "
        "(`KEYS`) and `stromal/model/dose_range.py`; do not edit._",
        "",
        "A trial is one TOML file. Every key is listed below with its type, unit, default and rule. "
        "An unknown key or a broken rule stops `stromal trial` with exit status 2 and a message "
        "`invalid configuration: <key>: <rule>` naming the dotted key (`arm[1].dose_cells_per_kg`); "
        "nothing is written. Worked examples: `examples/*.toml`.",
        "",
        "## Allocation and randomisation",
        "",
        "Each arm's `allocation` is its relative weight (default 1; START was placebo 1 : MSC 2). "
        "Patients are randomised in each chunk by stratified permuted blocks: within each Berlin severity "
        "grade (the stratum; the virtual population has no sites), consecutive blocks of "
        "2 × (sum of the weights) patients (1:1 → 4, 2:1 → 6, 1:1:1 → 6) each get a random permutation "
        "holding every arm twice its weight; the patients left over at the end of the strata get a random "
        "permutation of the labels still owed, so each chunk splits exactly in the ratio of the weights and "
        "each stratum within one block. `n_per_arm` counts patients per unit of weight.",
        "",
        "## Studied dose range",
        "",
        "A dose per administration outside these ranges is refused unless `allow_extrapolation = true`; "
        "then `summary.json` (`dose_extrapolated`) and `report.html` mark it as extrapolated. "
        "The ranges are the union of the shipped protocols and the cited trials:",
        "",
    ]
    for route, rng in ranges.items():
        lines += [f"- **{route.value}**: {rng.describe()}. Sources:"]
        lines += [f"  - {source}" for source in rng.sources]
    lines += ["", FIXED_DOSE_NOTE, ""]
    for prefix, heading in _SECTIONS:
        lines += [
            f"## {heading}",
            "",
            "| key | type | unit | default | rule | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for doc in KEYS:
            rest = doc.key[len(prefix) :]
            if not doc.key.startswith(prefix) or (prefix == "" and ("." in rest or "[" in rest)):
                continue
            lines.append(
                f"| `{rest}` | {_cell(doc.type)} | {_cell(doc.unit) or '–'} | {_default_text(doc.default)} | "
                f"{_cell(doc.rule.format(**fill))} | {_cell(doc.meaning)} |"
            )
        lines.append("")
    return "\n".join(lines)


def write(path: Path = DEFAULT_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def write_trial_config(path: Path = TRIAL_CONFIG_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_trial_config(), encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(write(Path(sys.argv[1])))
    else:
        print(write())
        print(write_trial_config())
