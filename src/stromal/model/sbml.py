"""SBML Level 3 export of the model, generated from the SymPy definition.

Layout: every state is a non-constant global parameter with a rate rule (the
model has no reacting species in a volume, so rate rules are the faithful
form); every parameter a constant global parameter at its nominal (or given)
value; auxiliary quantities and observables are assignment rules; state
initial values are initial assignments. The model's time unit is declared
(``timeUnits="hour"``). Doses, when given, become SBML events that add the
amount to the target state at the dose time.
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


class _L3FormulaPrinter(StrPrinter):  # type: ignore[misc]
    """Prints SymPy expressions in libSBML's L3 infix syntax."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.as_base_exp()
        if exp == -1:
            return f"(1/({self._print(base)}))"
        return f"pow({self._print(base)}, {self._print(exp)})"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({expr.p}/{expr.q})"

    def _print_log(self, expr: sp.log) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_exp(self, expr: sp.exp) -> str:
        return f"exp({self._print(expr.args[0])})"

    def _print_Exp1(self, expr: Any) -> str:
        return "exponentiale"

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))


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
    hour = m.createUnitDefinition()
    _check(hour.setId("hour"), "unit id")
    unit = hour.createUnit()
    unit.setKind(libsbml.UNIT_KIND_SECOND)
    unit.setExponent(1)
    unit.setScale(0)
    unit.setMultiplier(3600.0)
    _check(m.setTimeUnits("hour"), "time units")

    for spec, value in zip(model.parameters, values, strict=True):
        par = m.createParameter()
        _check(par.setId(spec.name), f"parameter {spec.name}")
        par.setValue(float(value))
        par.setConstant(True)
        par.setName(f"{spec.description} [{spec.unit}]")

    p_values = dict(zip(model.parameter_symbols, values.tolist(), strict=True))
    for sym, state in zip(model.state_symbols, model.states, strict=True):
        par = m.createParameter()
        _check(par.setId(sym.name), f"state {state.name}")
        initial = sp.sympify(state.initial)
        par.setValue(float(sp.N(initial.xreplace(p_values))))
        par.setConstant(False)
        par.setName(f"{state.description} [{state.unit}]")
        if initial.free_symbols:
            compact = state.compact_initial if state.compact_initial is not None else initial
            ia = m.createInitialAssignment()
            _check(ia.setSymbol(sym.name), f"initial assignment {state.name}")
            _check(ia.setMath(_math(_formula(compact))), f"initial assignment {state.name}")

    defined = {p.name for p in model.parameters} | {s.name for s in model.states}
    rules: list[tuple[str, sp.Expr]] = [(a.name, a.expr) for a in model.auxiliaries]
    for obs in model.observables:
        compact = obs.compact if obs.compact is not None else obs.expr
        if obs.name in {name for name, _ in rules}:
            if compact != sp.Symbol(obs.name, real=True):
                raise SbmlExportError(f"observable {obs.name} clashes with an auxiliary of the same name")
            continue
        rules.append((obs.name, compact))
    for name, expr in rules:
        if name in defined:
            raise SbmlExportError(f"{name}: id used twice")
        defined.add(name)
        par = m.createParameter()
        _check(par.setId(name), f"rule {name}")
        par.setConstant(False)
        par.setValue(0.0)
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
        event = m.createEvent()
        _check(event.setId(f"dose_{k + 1}"), "event id")
        event.setName(f"bolus of {amount:g} to {target} at {time_h:g} h")
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        _check(trigger.setMath(_math(f"time >= {float(time_h)!r}")), "event trigger")
        assignment = event.createEventAssignment()
        _check(assignment.setVariable(target), "event assignment")
        _check(assignment.setMath(_math(f"{target} + {float(amount)!r}")), "event assignment")

    doc.checkInternalConsistency()
    errors = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        raise SbmlExportError("; ".join(e.getMessage().strip() for e in errors))
    return str(libsbml.writeSBMLToString(doc))
