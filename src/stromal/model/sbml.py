"""SBML Level 3 export of the model, generated from the SymPy definition.

Layout: every state is a non-constant global parameter with a rate rule (the
model has no reacting species in a volume, so rate rules are the faithful
form); every parameter a constant global parameter at its nominal (or given)
value; auxiliary quantities and observables are assignment rules; state
initial values are initial assignments. The model's time unit is declared
(``timeUnits="hour"``). Doses, when given, become SBML events that add the
amount to the target state at the dose time.

Units: every parameter, state and rule variable declares its unit
(:data:`UNITS` maps the model's unit strings to SBML unit definitions), so
libSBML's unit-consistency check verifies every equation. The arbitrary units
of the Reynolds core (N*-, C_A-, M-units, damage index) and fractions are
dimensionless; physical units are SI multiples (mmHg = 133.322387415 Pa).
Numeric literals are dimensionless except the constants of Severinghaus'
oxygen dissociation curve and its inverse (Severinghaus JW, J Appl Physiol
1979;46:599-602, doi:10.1152/jappl.1979.46.3.599: S = (P³ + 150 P) /
(P³ + 150 P + 23400) with P in mmHg) and standard pressure (760 mmHg),
listed in :data:`LITERAL_UNITS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libsbml
import numpy as np
import numpy.typing as npt
import sympy as sp
from sympy.printing.str import StrPrinter

from stromal.model.definition import MODEL, ModelDefinition


class SbmlExportError(RuntimeError):
    """libSBML refused something while building the document."""


_MMHG_PA = 133.322387415
_HOUR_S = 3600.0
_YEAR_S = 365.25 * 24 * 3600.0

#: SBML unit definitions: id -> ((kind, exponent, multiplier), ...); a unit is
#: (multiplier × kind)^exponent, as in SBML Level 3.
UNIT_DEFINITIONS: dict[str, tuple[tuple[str, int, float], ...]] = {
    "hour": (("second", 1, _HOUR_S),),
    "per_hour": (("second", -1, _HOUR_S),),
    "year": (("second", 1, _YEAR_S),),
    "per_year": (("second", -1, _YEAR_S),),
    "percent": (("dimensionless", 1, 0.01),),
    "percent_per_hour": (("dimensionless", 1, 0.01), ("second", -1, _HOUR_S)),
    "mmHg": (("pascal", 1, _MMHG_PA),),
    "mmHg_squared": (("pascal", 2, _MMHG_PA),),
    "mmHg_cubed": (("pascal", 3, _MMHG_PA),),
    "mmHg_sixth": (("pascal", 6, _MMHG_PA),),
    "per_mmHg": (("pascal", -1, _MMHG_PA),),
    "pg_per_ml": (("gram", 1, 1e-12), ("litre", -1, 1e-3)),
    "pg_per_ml_per_hour": (("gram", 1, 1e-12), ("litre", -1, 1e-3), ("second", -1, _HOUR_S)),
    "g_per_dl": (("gram", 1, 1.0), ("litre", -1, 0.1)),
    "ml_per_dl": (("dimensionless", 1, 0.01),),
    "ml_per_g": (("litre", 1, 1e-3), ("gram", -1, 1.0)),
    "ml_per_dl_per_mmHg": (("dimensionless", 1, 0.01), ("pascal", -1, _MMHG_PA)),
    "cm": (("metre", 1, 0.01),),
    "kg": (("kilogram", 1, 1.0),),
    "million_cells": (("item", 1, 1e6),),
    "hundred_million_particles": (("item", 1, 1e8),),
    "million_cells_per_ml": (("item", 1, 1e6), ("litre", -1, 1e-3)),
    "per_million_cells_per_ml": (("item", -1, 1e6), ("litre", 1, 1e-3)),
    "per_million_cells_per_ml_per_hour": (("item", -1, 1e6), ("litre", 1, 1e-3), ("second", -1, _HOUR_S)),
    "per_million_cells_per_hour": (("item", -1, 1e6), ("second", -1, _HOUR_S)),
}

#: The model's unit strings (parameters, states, auxiliaries, observables) -> SBML unit id.
UNITS: dict[str, str] = {
    "dimensionless": "dimensionless",
    "dimensionless (>= 1)": "dimensionless",
    "fraction": "dimensionless",
    "fraction of max": "dimensionless",
    "1 = male": "dimensionless",
    # Arbitrary units of the Reynolds 2006 core.
    "N*-units": "dimensionless",
    "C_A-units": "dimensionless",
    "damage index": "dimensionless",
    "N*-units/damage index": "dimensionless",
    "M-units/h": "per_hour",
    "N*-units/h": "per_hour",
    "C_A-units/h": "per_hour",
    "damage index/h": "per_hour",
    "/(M-units h)": "per_hour",
    "/(N*-units h)": "per_hour",
    "1e6 cells/cc": "million_cells_per_ml",
    "/(1e6 cells/cc)": "per_million_cells_per_ml",
    "N*-units/(1e6 cells/cc)": "per_million_cells_per_ml",
    "/(1e6 cells/cc h)": "per_million_cells_per_ml_per_hour",
    "1/(1e6 cells h)": "per_million_cells_per_hour",
    # Physical units.
    "h": "hour",
    "1/h": "per_hour",
    "years": "year",
    "1/year": "per_year",
    "%": "percent",
    "% predicted": "percent",
    "%/h": "percent_per_hour",
    "mmHg": "mmHg",
    "pg/mL": "pg_per_ml",
    "pg/mL/h per N*-unit": "pg_per_ml_per_hour",
    "g/dL": "g_per_dl",
    "mL/dL": "ml_per_dl",
    "mL O2/dL": "ml_per_dl",
    "mL O2/g Hb": "ml_per_g",
    "mL O2/dL/mmHg": "ml_per_dl_per_mmHg",
    "cm": "cm",
    "kg": "kg",
    "1e6 cells": "million_cells",
    "1e8 particles": "hundred_million_particles",
}

#: Numeric literals that carry a unit (by absolute value); every other literal is dimensionless.
LITERAL_UNITS: dict[sp.Number, str] = {
    sp.Integer(150): "mmHg_squared",  # Severinghaus 1979
    sp.Integer(23400): "mmHg_cubed",  # Severinghaus 1979
    sp.Integer(760): "mmHg",  # standard barometric pressure
    sp.Integer(50): "mmHg_squared",  # inverse of Severinghaus' curve: 150/3
    sp.Integer(11700): "mmHg_cubed",  # 23400/2
    sp.Integer(125000): "mmHg_sixth",  # 50³
    sp.Integer(136890000): "mmHg_sixth",  # 11700²
}


def unit_id(unit: str, where: str) -> str:
    """The SBML unit id of one of the model's unit strings."""
    try:
        return UNITS[unit]
    except KeyError:
        raise SbmlExportError(
            f"{where}: unit {unit!r} has no SBML unit definition (add it to UNITS)"
        ) from None


def _literal(value: sp.Number) -> str:
    unit = LITERAL_UNITS.get(abs(value), "dimensionless")
    text = str(int(value)) if value.is_Integer else repr(float(value))
    return f"{text} {unit}"


class _L3FormulaPrinter(StrPrinter):  # type: ignore[misc]
    """Prints SymPy expressions in libSBML's L3 infix syntax."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.as_base_exp()
        if exp == -1:
            return f"(1 dimensionless/({self._print(base)}))"
        if exp.is_Rational and not exp.is_Integer and abs(exp.p) == 1:
            # A root, so that libSBML can carry the units through it (pow with 1/3 it cannot).
            root = f"root({_literal(sp.Integer(exp.q))}, {self._print(base)})"
            return root if exp.p == 1 else f"(1 dimensionless/{root})"
        return f"pow({self._print(base)}, {self._print(exp)})"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({_literal(sp.Integer(expr.p))}/{_literal(sp.Integer(expr.q))})"

    def _print_Integer(self, expr: sp.Integer) -> str:
        return _literal(expr)

    def _print_One(self, expr: sp.Integer) -> str:
        return _literal(sp.Integer(1))

    def _print_NegativeOne(self, expr: sp.Integer) -> str:
        return _literal(sp.Integer(-1))

    def _print_Zero(self, expr: sp.Integer) -> str:
        return _literal(sp.Integer(0))

    def _print_Half(self, expr: sp.Rational) -> str:
        return self._print_Rational(expr)

    def _print_log(self, expr: sp.log) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_exp(self, expr: sp.exp) -> str:
        return f"exp({self._print(expr.args[0])})"

    def _print_Exp1(self, expr: Any) -> str:
        return "exponentiale"

    def _print_Float(self, expr: sp.Float) -> str:
        return _literal(expr)


def _formula(expr: sp.Expr) -> str:
    return str(_L3FormulaPrinter().doprint(sp.sympify(expr)))


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise SbmlExportError(f"{what}: {libsbml.OperationReturnValue_toString(code)}")


def _math(text: str) -> Any:
    settings = libsbml.L3ParserSettings()
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)
    node = libsbml.parseL3FormulaWithSettings(text, settings)
    if node is None:
        raise SbmlExportError(f"could not parse formula: {libsbml.getLastParseL3Error()}")
    return node


def to_sbml(
    model: ModelDefinition = MODEL,
    *,
    params: npt.ArrayLike | None = None,
    doses: Sequence[tuple[float, int, float]] = (),
    title: str = "",
) -> str:
    """The SBML Level 3 Version 2 document as a string.

    ``params`` (default: nominal) become the parameter values; ``doses`` are
    ``(time_h, state_index, amount)`` boluses, one SBML event each.
    """
    values = (
        np.array([p.value for p in model.parameters], dtype=np.float64)
        if params is None
        else np.asarray(params, dtype=np.float64)
    )
    if values.shape != (len(model.parameters),):
        raise ValueError(f"params: needs shape ({len(model.parameters)},), got {values.shape}")
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    _check(m.setId(model.name), "model id")
    _check(m.setName(title or f"{model.name} {model.version} (Stromal research model)"), "model name")
    for uid, parts in UNIT_DEFINITIONS.items():
        definition = m.createUnitDefinition()
        _check(definition.setId(uid), f"unit {uid}")
        for kind, exponent, multiplier in parts:
            unit = definition.createUnit()
            _check(unit.setKind(libsbml.UnitKind_forName(kind)), f"unit {uid}: kind {kind}")
            unit.setExponent(exponent)
            unit.setScale(0)
            unit.setMultiplier(multiplier)
    _check(m.setTimeUnits("hour"), "time units")

    for spec, value in zip(model.parameters, values, strict=True):
        par = m.createParameter()
        _check(par.setId(spec.name), f"parameter {spec.name}")
        par.setValue(float(value))
        par.setConstant(True)
        par.setName(f"{spec.description} [{spec.unit}]")
        _check(par.setUnits(unit_id(spec.unit, f"parameter {spec.name}")), f"units of {spec.name}")

    p_values = dict(zip(model.parameter_symbols, values.tolist(), strict=True))
    for sym, state in zip(model.state_symbols, model.states, strict=True):
        par = m.createParameter()
        _check(par.setId(sym.name), f"state {state.name}")
        initial = sp.sympify(state.initial)
        par.setValue(float(sp.N(initial.xreplace(p_values))))
        par.setConstant(False)
        par.setName(f"{state.description} [{state.unit}]")
        _check(par.setUnits(unit_id(state.unit, f"state {state.name}")), f"units of {state.name}")
        if initial.free_symbols:
            compact = state.compact_initial if state.compact_initial is not None else initial
            ia = m.createInitialAssignment()
            _check(ia.setSymbol(sym.name), f"initial assignment {state.name}")
            _check(ia.setMath(_math(_formula(compact))), f"initial assignment {state.name}")

    defined = {p.name for p in model.parameters} | {s.name for s in model.states}
    rules: list[tuple[str, sp.Expr]] = [(a.name, a.expr) for a in model.auxiliaries]
    rule_units = {a.name: a.unit for a in model.auxiliaries}
    for obs in model.observables:
        compact = obs.compact if obs.compact is not None else obs.expr
        if obs.name in {name for name, _ in rules}:
            if compact != sp.Symbol(obs.name, real=True):
                raise SbmlExportError(f"observable {obs.name} clashes with an auxiliary of the same name")
            continue
        rules.append((obs.name, compact))
        rule_units[obs.name] = obs.unit
    for name, expr in rules:
        if name in defined:
            raise SbmlExportError(f"{name}: id used twice")
        defined.add(name)
        par = m.createParameter()
        _check(par.setId(name), f"rule {name}")
        par.setConstant(False)
        par.setValue(0.0)
        _check(par.setUnits(unit_id(rule_units[name], f"rule {name}")), f"units of {name}")
        rule = m.createAssignmentRule()
        _check(rule.setVariable(name), f"rule {name}")
        _check(rule.setMath(_math(_formula(expr))), f"rule {name}")

    for sym, expr in zip(model.state_symbols, model.compact_rhs or model.rhs, strict=True):
        rate = m.createRateRule()
        _check(rate.setVariable(sym.name), f"rate rule {sym.name}")
        _check(rate.setMath(_math(_formula(expr))), f"rate rule {sym.name}")

    for k, (time_h, index, amount) in enumerate(sorted(doses)):
        if not np.isfinite(time_h):
            continue
        target = model.states[index].name
        target_unit = unit_id(model.states[index].unit, f"dose target {target}")
        event = m.createEvent()
        _check(event.setId(f"dose_{k + 1}"), "event id")
        event.setName(f"bolus of {amount:g} to {target} at {time_h:g} h")
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        _check(trigger.setMath(_math(f"time >= {float(time_h)!r} hour")), "event trigger")
        assignment = event.createEventAssignment()
        _check(assignment.setVariable(target), "event assignment")
        _check(assignment.setMath(_math(f"{target} + {float(amount)!r} {target_unit}")), "event assignment")

    doc.checkInternalConsistency()
    errors = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        raise SbmlExportError("; ".join(e.getMessage().strip() for e in errors))
    return str(libsbml.writeSBMLToString(doc))
