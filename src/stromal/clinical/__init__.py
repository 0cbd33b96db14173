"""Pure clinical rules for ARDS and MSC therapy: no Django, no I/O.

Every function cites its source in its docstring and is tested on worked
cases from that source (``tests/clinical/cases/``).

Public entry points (import from the modules; this package imports nothing
eagerly so that ``stromal assess`` and the web app load only what they use):

- ``assess.assess(observations) -> dict`` and ``assess.RULES_VERSION``: the
  ``stromal assess`` contract used by the calculator and examination pages;
- ``observations.FIELDS`` / ``observations.validate_observations``: inputs;
- ``oxygenation``: ``pf_ratio``, ``sf_ratio``, ``oxygenation_index``,
  ``spo2_to_pao2_mmhg``, ``severinghaus_saturation_pct``,
  ``severinghaus_saturation_fraction`` (NumPy), ``predicted_body_weight_kg``;
- ``berlin.berlin_definition``, ``global_definition.global_definition``,
  ``murray.murray_score``, ``sofa.sofa_score``,
  ``cytokine_storm.covid_cytokine_storm``, ``cytokine_storm.hscore``;
- ``reference_values``: six-minute walk, GLI spirometry and DLCO, each with
  its published range (``*_AGE_RANGE``);
- ``precision.recorded``: the one rounding policy for every cut-off on a
  computed quantity (the value printed is the value compared);
- ``observations.ALTERNATIVE_UNITS``: SI laboratory units, converted to the
  one canonical key the rules read;
- ``dosing.dose_for_arm(arm, ...) -> DoseCalculation``;
- ``infusion_safety``: ``start_infusion_events``, ``lanzoni_infusion_events``
  over ``InfusionBaseline``/``InfusionObservation``, and
  ``ctcae_infusion_reaction_grade``;
- ``stopping_thresholds.stopping_limits(rule_set, baseline)``: the same
  rules' numeric limits for one baseline, as lines a chart draws.
"""
