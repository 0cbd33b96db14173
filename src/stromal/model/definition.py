"""The ARDS + MSC/exosome model as one SymPy definition.

This is the single source of the equations: the solvers generate code from
``MODEL.rhs``, ``stromal.model.sbml`` writes SBML from it and
``stromal.model.docs_gen`` writes ``docs/model.md`` from it, so they cannot
drift apart. Time is in hours; t = 0 is the onset of the insult and each
patient is enrolled at ``enrolment_time_h``.

It is a new composition of published pieces, not a validated model:
the Reynolds 2006 inflammation core (unchanged), an alveolar barrier and
edema layer with alveolar fluid clearance (Ware & Matthay 2001), an iso-shunt
gas-exchange mapping with the Severinghaus curve, a bistable
macrophage-myofibroblast repair/fibrosis circuit after Adler 2020, MSC and
exosome kinetics and Emax secretome effects, and a death hazard from
hypoxaemia, barrier failure and systemic tissue damage.

Change log: 0.2.0 added the systemic-damage term (Reynolds D) to the death
hazard. Without it a patient in the persistent inflammatory state with a
tolerant lung had no excess risk, so mild ARDS mortality could not exceed
~10 % against Berlin's 27 % (see docs/calibration/calibration.md).
0.3.0 added four states: non-pulmonary organ dysfunction (driven by systemic
inflammation, with a per-patient, per-aetiology susceptibility), so that mild
ARDS dies of organ failure as it does clinically; pulmonary microthrombi from
the tissue-factor activity of IV MSC (Moll 2012), so that treatment can harm;
residual lung injury and ICU-acquired weakness, so that survivors' DLCO and
6-minute walk recover over months to years (Herridge 2003, 2011).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp

from stromal.model.parameters import PARAMETERS, ParameterSpec
from stromal.model.version import MODEL_VERSION as MODEL_VERSION


@dataclass(frozen=True)
class StateSpec:
    name: str
    unit: str
    description: str
    initial: float | sp.Expr
    #: The initial value written with auxiliary symbols (for docs and SBML),
    #: valid because auxiliaries are evaluated at the initial state.
    compact_initial: sp.Expr | None = None


@dataclass(frozen=True)
class ObservableSpec:
    name: str
    unit: str
    description: str
    expr: sp.Expr
    #: The same quantity written with auxiliary symbols (for docs and SBML).
    compact: sp.Expr | None = None


@dataclass(frozen=True)
class AuxiliarySpec:
    """A named intermediate quantity (may use earlier auxiliaries)."""

    name: str
    unit: str
    description: str
    symbol: sp.Symbol
    expr: sp.Expr


@dataclass(frozen=True)
class ModelDefinition:
    name: str
    version: str
    states: tuple[StateSpec, ...]
    parameters: tuple[ParameterSpec, ...]
    state_symbols: tuple[sp.Symbol, ...]
    parameter_symbols: tuple[sp.Symbol, ...]
    rhs: tuple[sp.Expr, ...]
    observables: tuple[ObservableSpec, ...]
    dose_targets: Mapping[str, str] = field(default_factory=dict)
    auxiliaries: tuple[AuxiliarySpec, ...] = ()
    #: ``rhs`` written with auxiliary symbols (for docs and SBML); empty = ``rhs``.
    compact_rhs: tuple[sp.Expr, ...] = ()

    def state_index(self, name: str) -> int:
        for i, s in enumerate(self.states):
            if s.name == name:
                return i
        raise KeyError(f"no state named {name!r}")

    def parameter_index(self, name: str) -> int:
        for i, p in enumerate(self.parameters):
            if p.name == name:
                return i
        raise KeyError(f"no parameter named {name!r}")

    def digest(self) -> str:
        """SHA-256 of everything that changes the numbers (for caches)."""
        h = hashlib.sha256()
        h.update(f"{self.name}|{self.version}".encode())
        for s in self.states:
            h.update(f"|{s.name}={sp.srepr(sp.sympify(s.initial))}".encode())
        for p in self.parameters:
            h.update(f"|{p.name}={p.value!r}".encode())
        # The compact forms are hashed: the substituted ones share subtrees and
        # print exponentially long.
        for a in self.auxiliaries:
            h.update(f"|{a.name}={sp.srepr(a.expr)}".encode())
        for e in self.compact_rhs or self.rhs:
            h.update(sp.srepr(e).encode())
        for o in self.observables:
            h.update(f"|{o.name}={sp.srepr(o.compact if o.compact is not None else o.expr)}".encode())
        h.update(repr(sorted(self.dose_targets.items())).encode())
        return h.hexdigest()


def _symbols(names: Sequence[str]) -> dict[str, sp.Symbol]:
    return {n: sp.Symbol(n, real=True) for n in names}


def severinghaus_fraction_expr(po2: sp.Expr) -> sp.Expr:
    """Severinghaus 1979 (J Appl Physiol 46:599): SO2 = 1/(23400/(PO2^3 + 150 PO2) + 1).

    Written as u/(u + 23400), u = PO2^3 + 150 PO2, the same curve as
    ``stromal.clinical.oxygenation.severinghaus_saturation_fraction``.
    """
    u = po2**3 + 150 * po2
    return u / (u + 23400)


def ellis_pao2_expr(saturation: sp.Expr) -> sp.Expr:
    """Inverse of the Severinghaus curve (Ellis 1989), for 0 < S < 1.

    Cardano's solution of PO2^3 + 150 PO2 = 23400 S/(1-S) written as
    w - 50/w with w^3 = q/2 + sqrt(q^2/4 + 50^3), which avoids the cube root
    of a negative number in ``stromal.clinical.oxygenation.spo2_to_pao2_mmhg``.
    """
    half_q = 11700 * saturation / (1 - saturation)
    w = sp.cbrt(half_q + sp.sqrt(half_q**2 + 125000))
    return w - 50 / w


def _reynolds(
    P: sp.Expr, N: sp.Expr, D: sp.Expr, CA: sp.Expr, k: Mapping[str, sp.Symbol], extra_ca_source: sp.Expr
) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """Reynolds 2006 right-hand side, unchanged, plus an optional C_A source.

    Returns (dP, dN*, dD, dC_A, f(N*)).
    """

    def f(v: sp.Expr) -> sp.Expr:
        return v / (1 + (CA / k["c_inf"]) ** 2)

    f_n = f(N)
    r = f(k["k_nn"] * N + k["k_np"] * P + k["k_nd"] * D)
    dP = (
        k["k_pg"] * P * (1 - P / k["p_inf"])
        - k["k_pm"] * k["s_m"] * P / (k["mu_m"] + k["k_mp"] * P)
        - k["k_pn"] * f_n * P
    )
    dN = k["s_nr"] * r / (k["mu_nr"] + r) - k["mu_n"] * N
    dD = k["k_dn"] * f_n**6 / (k["x_dn"] ** 6 + f_n**6) - k["mu_d"] * D
    g = f(N + k["k_cnd"] * D)
    dCA = k["s_c"] + k["k_cn"] * g / (1 + g) - k["mu_c"] * CA + extra_ca_source
    return dP, dN, dD, dCA, f_n


_CORE_STATES = (
    ("pathogen", "1e6 cells/cc", "pathogen / insult load P"),
    ("activated_phagocytes", "N*-units", "activated phagocytes (neutrophils) N*"),
    ("tissue_damage", "damage index", "tissue damage D (abstract index, Reynolds 2006)"),
    ("anti_inflammatory", "C_A-units", "anti-inflammatory mediator C_A (IL-10/TGF-beta proxy)"),
)


def _core_definition() -> ModelDefinition:
    core_params = PARAMETERS[: _n_core_parameters()]
    k = _symbols([p.name for p in core_params])
    x = _symbols([name for name, _, _ in _CORE_STATES])
    P, N, D, CA = (x[name] for name, _, _ in _CORE_STATES)
    dP, dN, dD, dCA, _ = _reynolds(P, N, D, CA, k, sp.Integer(0))
    initials: tuple[sp.Expr, ...] = (
        k["insult_p0"],
        sp.Integer(0),
        k["initial_damage_d0"],
        k["s_c"] / k["mu_c"],
    )
    states = tuple(
        StateSpec(name, unit, desc, init)
        for (name, unit, desc), init in zip(_CORE_STATES, initials, strict=True)
    )
    return ModelDefinition(
        name="reynolds2006",
        version=MODEL_VERSION,
        states=states,
        parameters=core_params,
        state_symbols=tuple(x.values()),
        parameter_symbols=tuple(k[p.name] for p in core_params),
        rhs=(dP, dN, dD, dCA),
        observables=(),
        dose_targets=MappingProxyType({}),
    )


def _n_core_parameters() -> int:
    # The Reynolds block ends with mu_c (see parameters._CORE).
    return [p.name for p in PARAMETERS].index("mu_c") + 1


def reynolds_core() -> ModelDefinition:
    """The 4-state Reynolds 2006 model alone (= MODEL's first four states with no MSC)."""
    return _CORE


_CORE = _core_definition()

_EXTENSION_STATES = (
    ("il6", "pg/mL", "pro-inflammatory mediator, IL-6 proxy"),
    ("barrier_damage", "fraction", "injured fraction of the alveolar-capillary barrier"),
    ("alveolar_edema", "fraction", "flooded fraction of alveolar units"),
    ("profibrotic_macrophages", "fraction of max", "pro-fibrotic macrophages (Adler 2020 circuit)"),
    ("myofibroblasts", "fraction of max", "myofibroblasts (Adler 2020 circuit)"),
    ("msc_lung_1e6_cells", "1e6 cells", "viable MSC in the lung"),
    ("exosome_airway_1e8_particles", "1e8 particles", "exosomes deposited in the airway"),
    ("arterial_po2", "mmHg", "arterial PO2 at the patient's FiO2 (fast, quasi-steady)"),
    ("cumulative_death_hazard", "dimensionless", "integrated death hazard; survival = exp(-H)"),
    (
        "organ_dysfunction",
        "fraction",
        "non-pulmonary organ dysfunction (normalised non-respiratory SOFA proxy)",
    ),
    ("microthrombi", "fraction", "pulmonary microvasculature occluded by MSC-induced microthrombi"),
    ("lung_remodelling", "fraction", "residual parenchymal/microvascular lung injury after ARDS"),
    ("icu_weakness", "fraction", "walking capacity lost to ICU-acquired weakness"),
)


def _aux(
    out: list[AuxiliarySpec], subs: dict[sp.Symbol, sp.Expr], name: str, unit: str, desc: str, expr: sp.Expr
) -> tuple[sp.Symbol, sp.Expr]:
    """Register an auxiliary; return (its symbol, its fully substituted expression)."""
    sym = sp.Symbol(name, real=True)
    out.append(AuxiliarySpec(name, unit, desc, sym, expr))
    full = expr.xreplace(subs)
    subs[sym] = full
    return sym, full


def _full_definition() -> ModelDefinition:
    k = _symbols([p.name for p in PARAMETERS])
    names = [n for n, _, _ in _CORE_STATES] + [n for n, _, _ in _EXTENSION_STATES]
    x = _symbols(names)
    P, N, D, CA = x["pathogen"], x["activated_phagocytes"], x["tissue_damage"], x["anti_inflammatory"]
    IL6, B, E = x["il6"], x["barrier_damage"], x["alveolar_edema"]
    M, F = x["profibrotic_macrophages"], x["myofibroblasts"]
    MSC, EV, H = x["msc_lung_1e6_cells"], x["exosome_airway_1e8_particles"], x["cumulative_death_hazard"]
    PA = x["arterial_po2"]
    aux: list[AuxiliarySpec] = []
    subs: dict[sp.Symbol, sp.Expr] = {}

    def a(name: str, unit: str, desc: str, expr: sp.Expr) -> sp.Symbol:
        return _aux(aux, subs, name, unit, desc, expr)[0]

    # Secretome: one exposure from both products, each effect an Emax function of it.
    z = a(
        "secretome_exposure",
        "dimensionless",
        "lung MSC and airway exosomes in EC50 units",
        MSC / k["msc_ec50_1e6_cells"] + EV / k["exosome_ec50_1e8_particles"],
    )
    occ = a("secretome_occupancy", "fraction", "Emax occupancy Z/(1+Z)", z / (1 + z))

    dP, dN, dD, dCA, f_n = _reynolds(P, N, D, CA, k, k["secretome_anti_inflammatory_max"] * occ)
    f_n_sym = a("effective_phagocytes", "N*-units", "f(N*) = N*/(1 + (C_A/C_inf)^2)", f_n)

    dIL6 = (
        k["il6_clearance_per_h"] * (k["il6_baseline_pg_ml"] - IL6) + k["il6_per_phagocyte_pg_ml_h"] * f_n_sym
    )
    dB = (
        k["barrier_injury_per_h"] * k["lung_susceptibility"] * D / (D + k["barrier_damage_half_d"]) * (1 - B)
        - k["barrier_repair_per_h"] * (1 + k["secretome_barrier_repair_max"] * occ) * B
    )
    afc = a(
        "afc_per_h_effective",
        "1/h",
        "alveolar fluid clearance after injury and secretome",
        k["afc_per_h"] * (1 + k["secretome_afc_max"] * occ) * (1 - k["afc_barrier_impairment"] * B),
    )
    dE = k["edema_leak_per_h"] * B * (1 - E) - afc * E
    dM = (
        k["macrophage_recruit_per_h"] * B * (1 - M)
        + k["macrophage_growth_per_h"] * M * F**2 / (F**2 + k["macrophage_csf_half"] ** 2) * (1 - M)
        - k["macrophage_decay_per_h"] * M
    )
    dF = (
        k["myofibroblast_activation_per_h"] * M * (1 - F)
        + k["myofibroblast_growth_per_h"] * F * M / (M + k["myofibroblast_pdgf_half"]) * (1 - F)
        - k["myofibroblast_decay_per_h"] * (1 + k["secretome_antifibrotic_max"] * occ) * F
    )
    retention = 1 + (k["msc_inflamed_retention"] - 1) * N / (N + k["msc_retention_half_n"])
    dMSC = -sp.log(2) / k["msc_lung_half_life_h"] / retention * MSC
    dEV = -sp.log(2) / k["exosome_airway_half_life_h"] * EV

    # Gas exchange: iso-shunt mixing of O2 contents (West), solved for PaO2.
    shunt = a(
        "shunt_fraction",
        "fraction",
        "venous admixture from flooded alveoli",
        k["shunt_baseline"] + (k["shunt_max"] - k["shunt_baseline"]) * E,
    )
    p_alv = a(
        "alveolar_po2_mmhg",
        "mmHg",
        "alveolar gas equation",
        k["fio2"] * (k["barometric_pressure_mmhg"] - k["water_vapour_pressure_mmhg"])
        - k["paco2_mmhg"] / k["respiratory_quotient"],
    )
    hb_cap = k["o2_binding_ml_per_g"] * k["haemoglobin_g_dl"]
    s_cap = a(
        "capillary_saturation",
        "fraction",
        "end-capillary saturation (Severinghaus at PAO2)",
        severinghaus_fraction_expr(p_alv),
    )
    c_cap = a(
        "capillary_o2_content_ml_dl",
        "mL/dL",
        "end-capillary O2 content",
        hb_cap * s_cap + k["o2_solubility_ml_dl_mmhg"] * p_alv,
    )
    c_art = a(
        "arterial_o2_content_ml_dl",
        "mL/dL",
        "arterial O2 content from the shunt equation",
        c_cap - k["avdo2_ml_dl"] * shunt / (1 - shunt),
    )
    # PaO2 is the root of C(PaO2) = Ca; a fast state relaxes to it by Newton flow
    # (no closed form exists once dissolved O2 is counted).
    u_pa = PA**3 + 150 * PA
    content = hb_cap * u_pa / (u_pa + 23400) + k["o2_solubility_ml_dl_mmhg"] * PA
    slope = hb_cap * 23400 * (3 * PA**2 + 150) / (u_pa + 23400) ** 2 + k["o2_solubility_ml_dl_mmhg"]
    dPA = k["pao2_equilibration_per_h"] * (c_art - content) / slope
    s_low = a(
        "arterial_saturation_lower_bound",
        "fraction",
        "Sc Ca/Cc, a lower bound of the arterial saturation (starting value of PaO2)",
        s_cap * c_art / c_cap,
    )
    initial_pao2 = ellis_pao2_expr(s_low)
    pao2 = PA

    # Non-pulmonary organ dysfunction driven by systemic inflammation (Reynolds D).
    OD, T, R, W = x["organ_dysfunction"], x["microthrombi"], x["lung_remodelling"], x["icu_weakness"]
    dOD = (
        k["organ_injury_per_h"] * k["organ_susceptibility"] * D / (D + k["organ_damage_half"]) * (1 - OD)
        - k["organ_recovery_per_h"] * OD
    )
    # Harm: tissue-factor activity of lung-entrapped IV MSC forms microthrombi (Moll 2012).
    dT = (
        k["msc_procoagulant_per_h"] * k["msc_tissue_factor_activity"] * MSC * (1 - T)
        - k["thrombus_lysis_per_h"] * T
    )
    # Slow after-effects: residual lung injury (DLCO) and ICU-acquired weakness (6MWD).
    dR = k["remodelling_per_h"] * B * (1 - R) - k["remodelling_resolution_per_h"] * R
    dW = k["weakness_gain_per_h"] * (OD + B) * (1 - W) - k["weakness_recovery_per_h"] * W

    age = k["age_years"] - k["hazard_reference_age_years"]
    hypox = a(
        "hypoxaemia_index",
        "fraction",
        "smooth hypoxaemia indicator",
        1 / (1 + (pao2 / k["hazard_pao2_half_mmhg"]) ** k["hazard_pao2_hill"]),
    )
    hazard = a(
        "death_hazard_per_h",
        "1/h",
        "death hazard",
        k["hazard_scale_per_h"]
        * sp.exp(k["hazard_age_log_per_year"] * age)
        * (
            hypox
            + k["hazard_barrier_weight"] * B**4 / (B**4 + k["hazard_barrier_half"] ** 4)
            + k["hazard_damage_weight"] * D**4 / (D**4 + k["hazard_damage_half"] ** 4)
            + k["hazard_organ_weight"] * OD**4 / (OD**4 + k["hazard_organ_half"] ** 4)
            + k["hazard_thrombus_weight"] * T**2 / (T**2 + k["hazard_thrombus_half"] ** 2)
        )
        + k["background_hazard_per_h"] * sp.exp(k["gompertz_per_year"] * age),
    )
    dH = hazard

    compact_rhs = (dP, dN, dD, dCA, dIL6, dB, dE, dM, dF, dMSC, dEV, dPA, dH, dOD, dT, dR, dW)
    rhs = tuple(sp.sympify(e).xreplace(subs) for e in compact_rhs)

    def obs(name: str, unit: str, desc: str, compact: sp.Expr) -> ObservableSpec:
        return ObservableSpec(name, unit, desc, sp.sympify(compact).xreplace(subs), sp.sympify(compact))

    spo2 = 100 * severinghaus_fraction_expr(pao2)
    observables = (
        obs("shunt_fraction", "fraction", "shunt fraction", shunt),
        obs("pao2_mmhg", "mmHg", "arterial PO2", pao2),
        obs(
            "pf_ratio",
            "mmHg",
            "PaO2/FiO2 (Berlin altitude correction PB/760)",
            pao2 / k["fio2"] * (k["barometric_pressure_mmhg"] / 760),
        ),
        obs("spo2_pct", "%", "SpO2 by Severinghaus at PaO2", spo2),
        obs("sf_ratio", "%", "SpO2/FiO2", spo2 / k["fio2"]),
        obs("il6_pg_ml", "pg/mL", "IL-6 proxy", IL6),
        obs("afc_pct_per_h", "%/h", "alveolar fluid clearance", 100 * afc),
        obs(
            "fvc_pct_predicted",
            "% predicted",
            "forced vital capacity",
            k["fvc_reference_pct"] * (1 - k["fvc_fibrosis_loss"] * F) * (1 - k["fvc_remodelling_loss"] * R),
        ),
        obs(
            "dlco_pct_predicted",
            "% predicted",
            "diffusing capacity",
            k["dlco_reference_pct"]
            * (1 - k["dlco_fibrosis_loss"] * F - k["dlco_barrier_loss"] * B)
            * (1 - k["dlco_remodelling_loss"] * R),
        ),
        obs(
            "walk_capacity_fraction",
            "fraction",
            "share of predicted 6-minute walk left by weakness (lung limits apart)",
            (1 - k["walk_persistent_deficit"]) * (1 - W),
        ),
        obs("death_hazard_per_h", "1/h", "instantaneous death hazard", hazard),
        obs("survival_probability", "fraction", "exp(-cumulative hazard)", sp.exp(-H)),
        obs("secretome_exposure", "dimensionless", "MSC + exosome exposure in EC50 units", z),
    )
    initials: dict[str, sp.Expr] = {
        "pathogen": k["insult_p0"],
        "activated_phagocytes": sp.Integer(0),
        "tissue_damage": k["initial_damage_d0"],
        "anti_inflammatory": k["s_c"] / k["mu_c"],
        "il6": k["il6_baseline_pg_ml"],
        "organ_dysfunction": k["organ_dysfunction_initial"],
        # A lower bound of the root (Sc*Ca/Cc bounds the arterial saturation from
        # below); the fast state reaches the root within minutes.
        "arterial_po2": initial_pao2.xreplace(subs).xreplace({E: 0}),
    }
    specs = list(_CORE_STATES) + list(_EXTENSION_STATES)
    compact_initials = {"arterial_po2": initial_pao2}
    states = tuple(
        StateSpec(n, u, d, initials.get(n, sp.Integer(0)), compact_initials.get(n)) for n, u, d in specs
    )
    return ModelDefinition(
        name="stromal_ards_msc",
        version=MODEL_VERSION,
        states=states,
        parameters=PARAMETERS,
        state_symbols=tuple(x[n] for n in names),
        parameter_symbols=tuple(k[p.name] for p in PARAMETERS),
        rhs=rhs,
        observables=observables,
        dose_targets=MappingProxyType(
            {"iv": "msc_lung_1e6_cells", "inhaled": "exosome_airway_1e8_particles"}
        ),
        auxiliaries=tuple(aux),
        compact_rhs=compact_rhs,
    )


MODEL: ModelDefinition = _full_definition()
