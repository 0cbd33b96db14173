"""``stromal assess [FILE]``: one JSON object of observations in, one JSON object of assessments out.

Exit codes: 0 success; 2 bad input (unknown key, out-of-range value,
malformed or non-object JSON, unreadable file), with a JSON error on stderr
naming the field, the value and the rule. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from stromal.clinical import follow_up
from stromal.clinical.assess import RULES_VERSION, assess
from stromal.clinical.observations import ALTERNATIVES, FIELDS
from stromal.clinical.validation import ClinicalInputError

BAD_INPUT_EXIT = 2
INPUT_FIELD = "<input>"


def _keys_help() -> str:
    width = max(len(name) for name in (*FIELDS, *follow_up.KEYS))
    lines = ["input keys (JSON object; null or absent = not measured):"]
    for spec in FIELDS.values():
        alt = ALTERNATIVES.get(spec.name)
        converted = f" (converted to {alt.canonical}; give one of the two)" if alt else ""
        lines.append(f"  {spec.name.ljust(width)}  {spec.rule_text()}; {spec.description}{converted}")
    lines += [
        "",
        "follow-up keys (each instrument whole once one of its keys is given; lung function",
        "also needs sex, age_years and height_cm):",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in follow_up.help_lines()]
    lines += [
        "",
        "output keys: pf_ratio, sf_ratio, oxygenation_index, predicted_body_weight_kg, berlin,",
        "global_definition, murray, sofa, covid_cs, hscore, six_minute_walk,",
        "spirometry {fev1, fvc, fev1_fvc: each {measured, z, percent_predicted, lln, below_lln},",
        "equation, source}, dlco {measured, z, percent_predicted, lln, below_lln, equation, source},",
        "moca {raw_score, education_point, adjusted_score, impaired, source}, mmrc {grade, description},",
        "missing, out_of_reference_range, unit_conversions, sources,",
        f"rules_version (now {RULES_VERSION}).",
        "",
        "Computed ratios are compared with their cut-offs at the precision they are printed",
        "with (P/F, S/F and oxygenation index to 0.1; an LLN to 0.01 L, 0.001 for FEV1/FVC and",
        "0.01 mL/min/mmHg for DLCO): the value printed is the value compared.",
        "",
        "exit status: 0 ok; 2 bad input, with a JSON error on stderr naming field, value and rule.",
        "Research software, not a medical device.",
    ]
    return "\n".join(lines)


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="ARDS and severity assessments (Berlin, Global definition, Murray, SOFA, "
        "COVID-CS, HScore, six-minute walk) and follow-up measurements (spirometry and DLCO "
        "against GLI, MoCA, mMRC) from one JSON object of observations.",
        epilog=_keys_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="JSON file to read; '-' or absent: stdin"
    )
    parser.add_argument(
        "--format", choices=("json", "table"), default="json", help="output format (default json)"
    )
    return parser


def _fail(field: str, value: object, rule: str, suggestion: str | None = None) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)  # keep stderr strict JSON (no NaN/Infinity literals)
    error: dict[str, object] = {"field": field, "value": value, "rule": rule}
    if suggestion:
        error["suggestion"] = suggestion
    print(json.dumps({"error": error}, ensure_ascii=False, default=str), file=sys.stderr)
    return BAD_INPUT_EXIT


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run(args: argparse.Namespace) -> int:
    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        return _fail("FILE", args.file, f"cannot read the input file: {exc}")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(
            INPUT_FIELD,
            text[:80],
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        )
    except RecursionError:
        return _fail(INPUT_FIELD, text[:80], "malformed JSON: nested too deeply")
    if not isinstance(data, dict):
        return _fail(
            INPUT_FIELD,
            data if not isinstance(data, list | dict) else type(data).__name__,
            'must be one JSON object of observations, e.g. {"pao2_mmhg": 80}',
        )
    try:
        result = assess(data)
    except ClinicalInputError as exc:
        return _fail(exc.field, exc.value, exc.rule, exc.suggestion)
    if args.format == "table":
        print(format_table(result))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _reference_text(part: dict[str, Any]) -> str:
    below = " (below the LLN)" if part["below_lln"] else ""
    return (
        f"{part['measured']} · z {part['z']} · {part['percent_predicted']} % predicted · "
        f"LLN {part['lln']}{below}"
    )


def format_table(result: dict[str, Any]) -> str:
    """A readable, plain-text rendering of an ``assess`` result."""
    rows: list[tuple[str, str]] = []
    for key in ("pf_ratio", "sf_ratio", "oxygenation_index", "predicted_body_weight_kg"):
        rows.append((key, _fmt(result[key])))
    for name in ("berlin", "global_definition", "covid_cs"):
        part = result[name]
        rows.append((f"{name}.meets", _fmt(part["meets"])))
        for extra in ("category", "severity"):
            if extra in part:
                rows.append((f"{name}.{extra}", _fmt(part[extra])))
        rows.append((f"{name}.unmet", _fmt(part["unmet"])))
        rows.append((f"{name}.missing", _fmt(part["missing"])))
    rows.append(("murray.score", _fmt(result["murray"]["score"])))
    sofa = result["sofa"]
    rows.append(("sofa.total", _fmt(sofa["total"]) + ("" if sofa["complete"] else " (partial)")))
    rows.append(("sofa.missing", _fmt(sofa["missing"])))
    rows.append(("hscore.score", _fmt(result["hscore"]["score"])))
    rows.append(("hscore.probability_band", _fmt(result["hscore"]["probability_band"])))
    walk = result["six_minute_walk"]
    rows.append(("six_minute_walk.predicted_m", _fmt(walk["predicted_m"])))
    rows.append(("six_minute_walk.percent_predicted", _fmt(walk["percent_predicted"])))
    spirometry = result.get("spirometry")
    if isinstance(spirometry, dict):
        for part in ("fev1", "fvc", "fev1_fvc"):
            rows.append((f"spirometry.{part}", _reference_text(spirometry[part])))
        rows.append(("spirometry.equation", _fmt(spirometry["equation"])))
    dlco = result.get("dlco")
    if isinstance(dlco, dict):
        rows.append(("dlco", _reference_text(dlco)))
        rows.append(("dlco.equation", _fmt(dlco["equation"])))
    moca = result.get("moca")
    if isinstance(moca, dict):
        rows.append(("moca.adjusted_score", _fmt(moca["adjusted_score"])))
        rows.append(("moca.impaired", _fmt(moca["impaired"])))
    mmrc = result.get("mmrc")
    if isinstance(mmrc, dict):
        rows.append(("mmrc.grade", _fmt(mmrc["grade"])))
    for key, flag in result["out_of_reference_range"].items():
        rows.append((f"{key}.out_of_reference_range", f"{flag['field']} outside {flag['range']}"))
    for key, conversion in result["unit_conversions"].items():
        rows.append(
            (
                key,
                f"{conversion['value']} {conversion['unit']} = {conversion['converted_value']} "
                f"({conversion['converted_to']})",
            )
        )
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    if result["missing"]:
        lines += ["", "why some values are missing:"]
        lines += [f"  {k}: {v}" for k, v in result["missing"].items()]
    lines += ["", f"rules_version {result['rules_version']}"]
    return "\n".join(lines)
