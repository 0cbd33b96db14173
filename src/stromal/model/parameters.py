"""Every parameter of the ARDS + MSC/exosome model, with value, unit,
population distribution and source.

Time unit: hours. The first block is the Reynolds 2006 inflammation core with
its published values, unchanged; the rest are Stromal's extensions. Values
marked ``free`` are fitted by ``stromal calibrate``; their nominal values are
starting points, not findings. This is a new composition of published
pieces, not a validated model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stromal.model.distributions import Bernoulli, Distribution, Fixed, LogNormal, Normal, Uniform

__all__ = [
    "AETIOLOGIES",
    "AETIOLOGY_PRIORS",
    "PARAMETERS",
    "PARAMETER_INDEX",
    "Bernoulli",
    "Distribution",
    "Fixed",
    "LogNormal",
    "Normal",
    "ParameterSpec",
    "Uniform",
    "nominal_parameters",
    "sample_parameters",
]


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    value: float
    unit: str
    description: str
    source: str
    distribution: Distribution
    free: bool = False


REYNOLDS = (
    "Reynolds A et al., J Theor Biol 2006;242:220-236, doi:10.1016/j.jtbi.2006.02.016 "
    "(BioModels BIOMD0000000714)"
)
WARE = "Ware LB, Matthay MA, Am J Respir Crit Care Med 2001;163:1376-83, doi:10.1164/ajrccm.163.6.2004035"
ADLER = (
    "structure from Adler M et al., iScience 2020;23:100841, doi:10.1016/j.isci.2020.100841 "
    "(macrophage-myofibroblast circuit); rates assumed"
)
LEE = "Lee RH et al., Cell Stem Cell 2009;5:54-63, doi:10.1016/j.stem.2009.05.003 (mouse)"
WEST = "West JB, Respiratory Physiology: The Essentials (alveolar gas and shunt equations)"
FREE = "assumed: no published value; fitted by `stromal calibrate`"
TUNED = (
    "assumed: no published value; tuned by hand with benchmarks/bench_mortality_by_grade.py "
    "to the Berlin mortality by grade (Ranieri VM et al., JAMA 2012;307:2526-33, doi:10.1001/jama.2012.5669)"
)
MONTGOMERY = (
    "Montgomery AB et al., Am Rev Respir Dis 1985;132:485-9, doi:10.1164/arrd.1985.132.3.485 "
    "(most ARDS deaths from sepsis and multi-organ failure, few from refractory hypoxaemia)"
)
PHAM = (
    "Pham T et al., Anesthesiology 2019;130:263-83, doi:10.1097/ALN.0000000000002508 "
    "(LUNG SAFE mild ARDS: hospital mortality 30 %, 10 % even in those who improved by day 2)"
)
SHEU = (
    "Sheu CC et al., Chest 2010;138:559-67, doi:10.1378/chest.09-2933 "
    "(60-day mortality 38.2 % sepsis-related vs 22.6 % non-sepsis-related ARDS)"
)
CALFEE = (
    "Calfee CS et al., Crit Care Med 2007;35:2243-50, doi:10.1097/01.CCM.0000280434.33451.87 "
    "(trauma-associated lung injury: lower mortality than other causes)"
)
MOLL2012 = (
    "Moll G et al., Stem Cells 2012;30:1565-74, doi:10.1002/stem.1111 (IV MSC carry tissue factor and "
    "trigger the instant blood-mediated inflammatory reaction, dose-, donor- and passage-dependent; "
    "only minor systemic effects at 1-3e6 cells/kg)"
)
MOLL2019 = (
    "Moll G et al., Trends Mol Med 2019;25:149-63, doi:10.1016/j.molmed.2018.12.006 "
    "(pro-coagulant tissue factor activity differs widely between MSC products)"
)
HERRIDGE2003 = (
    "Herridge MS et al., N Engl J Med 2003;348:683-93, doi:10.1056/NEJMoa022450 (lung volumes and "
    "spirometry normal by 6 months, DLCO low throughout 12 months; limitation from muscle weakness)"
)
HERRIDGE2011 = (
    "Herridge MS et al., N Engl J Med 2011;364:1293-304, doi:10.1056/NEJMoa1011802 (5 years: "
    "6MWD 76 % of predicted, lung function normal to near-normal)"
)

_P = ParameterSpec

_CORE: tuple[ParameterSpec, ...] = (
    _P(
        "k_pg",
        0.3,
        "1/h",
        "pathogen growth rate",
        REYNOLDS + "; scenario range 0.25-0.65",
        LogNormal(0.3, 0.15),
    ),
    _P(
        "insult_p0",
        1.0,
        "1e6 cells/cc",
        "initial pathogen load P(0) (insult size)",
        REYNOLDS + "; per-aetiology priors in AETIOLOGY_PRIORS; their common scale is fitted by "
        "`stromal calibrate`",
        LogNormal(1.0, 0.6),
        free=True,
    ),
    _P(
        "initial_damage_d0",
        0.0,
        "damage index",
        "initial tissue damage D(0) (sterile insult)",
        REYNOLDS + " (D(0) = 0); trauma prior assumed",
        Fixed(0.0),
    ),
    _P("k_pm", 0.6, "/(M-units h)", "pathogen killing by resident phagocytes", REYNOLDS, Fixed(0.6)),
    _P("k_mp", 0.01, "/(1e6 cells/cc h)", "resident phagocyte exhaustion by pathogen", REYNOLDS, Fixed(0.01)),
    _P("s_m", 0.005, "M-units/h", "resident phagocyte source", REYNOLDS, Fixed(0.005)),
    _P("mu_m", 0.002, "1/h", "resident phagocyte decay", REYNOLDS, Fixed(0.002)),
    _P("p_inf", 20.0, "1e6 cells/cc", "pathogen carrying capacity", REYNOLDS, Fixed(20.0)),
    _P("k_pn", 1.8, "/(N*-units h)", "pathogen killing by activated phagocytes", REYNOLDS, Fixed(1.8)),
    _P("k_np", 0.1, "N*-units/(1e6 cells/cc)", "phagocyte activation by pathogen", REYNOLDS, Fixed(0.1)),
    _P("k_nn", 0.01, "dimensionless", "phagocyte self-activation", REYNOLDS, Fixed(0.01)),
    _P("s_nr", 0.08, "N*-units/h", "maximal phagocyte recruitment", REYNOLDS, Fixed(0.08)),
    _P("mu_nr", 0.12, "N*-units", "half-saturation of recruitment", REYNOLDS, Fixed(0.12)),
    _P("mu_n", 0.05, "1/h", "activated phagocyte decay", REYNOLDS, Fixed(0.05)),
    _P("k_nd", 0.02, "N*-units/damage index", "phagocyte activation by damage", REYNOLDS, Fixed(0.02)),
    _P("k_dn", 0.35, "damage index/h", "maximal damage production by phagocytes", REYNOLDS, Fixed(0.35)),
    _P("x_dn", 0.06, "N*-units", "half-saturation of damage production", REYNOLDS, Fixed(0.06)),
    _P("mu_d", 0.02, "1/h", "damage decay", REYNOLDS, Fixed(0.02)),
    _P("c_inf", 0.28, "C_A-units", "anti-inflammatory half-inhibition", REYNOLDS, Fixed(0.28)),
    _P("s_c", 0.0125, "C_A-units/h", "anti-inflammatory source", REYNOLDS, Fixed(0.0125)),
    _P("k_cn", 0.04, "C_A-units/h", "maximal anti-inflammatory production", REYNOLDS, Fixed(0.04)),
    _P(
        "k_cnd",
        48.0,
        "N*-units/damage index",
        "damage weight in anti-inflammatory production",
        REYNOLDS,
        Fixed(48.0),
    ),
    _P("mu_c", 0.1, "1/h", "anti-inflammatory decay", REYNOLDS, Fixed(0.1)),
)

_EXTENSIONS: tuple[ParameterSpec, ...] = (
    # Pro-inflammatory mediator, read out in pg/mL so it compares with measured IL-6.
    _P(
        "il6_baseline_pg_ml",
        3.0,
        "pg/mL",
        "plasma IL-6 without inflammation",
        "assumed: healthy adults mostly below 7 pg/mL",
        LogNormal(3.0, 0.5),
    ),
    _P(
        "il6_clearance_per_h",
        0.35,
        "1/h",
        "IL-6 elimination rate (half-life about 2 h)",
        "assumed: plasma IL-6 half-life of a few hours",
        LogNormal(0.35, 0.3),
    ),
    _P(
        "il6_per_phagocyte_pg_ml_h",
        250.0,
        "pg/mL/h per N*-unit",
        "IL-6 production by effective activated phagocytes f(N*)",
        "assumed: scaled so a non-resolving course reaches IL-6 in the hundreds of pg/mL",
        LogNormal(250.0, 0.5),
    ),
    # Alveolar-capillary barrier.
    _P(
        "barrier_injury_per_h",
        0.08,
        "1/h",
        "maximal barrier injury rate from tissue damage",
        FREE,
        LogNormal(0.08, 0.3),
        free=True,
    ),
    _P(
        "barrier_damage_half_d",
        2.0,
        "damage index",
        "tissue damage at half-maximal barrier injury",
        "assumed: D is an abstract index; half-effect well below the Reynolds plateau (~17.5)",
        Fixed(2.0),
    ),
    _P(
        "lung_susceptibility",
        1.0,
        "dimensionless",
        "patient's barrier susceptibility to damage",
        "assumed: between-patient variation in lung vulnerability (ARDS risk factors); "
        "wide (CV 1) so that the Berlin grade depends on the lung as well as on the insult; "
        "location fitted by `stromal calibrate`",
        LogNormal(1.0, 1.0),
        free=True,
    ),
    _P(
        "barrier_repair_per_h",
        0.02,
        "1/h",
        "barrier repair rate (half-life about 35 h)",
        "assumed: epithelial/endothelial repair over days; fitted by `stromal calibrate` "
        "to ventilation days (Ranieri 2012)",
        LogNormal(0.02, 0.3),
        free=True,
    ),
    # Alveolar edema and fluid clearance.
    _P(
        "edema_leak_per_h",
        0.1,
        "1/h",
        "alveolar flooding rate of a fully injured barrier",
        FREE,
        LogNormal(0.1, 0.3),
        free=True,
    ),
    _P(
        "afc_per_h",
        0.06,
        "1/h",
        "alveolar fluid clearance (fraction of alveolar fluid per hour)",
        WARE + ": mean 6 %/h; 56 % impaired (< 3 %/h), 13 % maximal (>= 14 %/h)",
        LogNormal(0.045, 0.8),
    ),
    _P(
        "afc_barrier_impairment",
        0.5,
        "dimensionless",
        "fraction of AFC lost with a fully injured barrier",
        "assumed: injured epithelium clears less fluid (Ware & Matthay 2001)",
        Uniform(0.3, 0.7),
    ),
    # Gas exchange.
    _P(
        "shunt_baseline",
        0.03,
        "fraction",
        "anatomical/physiological shunt of a healthy lung",
        WEST + ": normal shunt 2-5 %",
        Uniform(0.02, 0.05),
    ),
    _P(
        "shunt_max",
        0.6,
        "fraction",
        "shunt with every alveolus flooded (edema -> shunt coupling)",
        FREE,
        Uniform(0.5, 0.7),
        free=True,
    ),
    _P(
        "fio2",
        0.5,
        "fraction",
        "inspired O2 fraction (held fixed per patient)",
        "assumed: typical FiO2 in ARDS; a covariate set per virtual patient",
        Uniform(0.3, 0.9),
    ),
    _P("barometric_pressure_mmhg", 760.0, "mmHg", "barometric pressure", "sea level", Fixed(760.0)),
    _P("water_vapour_pressure_mmhg", 47.0, "mmHg", "water vapour pressure at 37 degC", WEST, Fixed(47.0)),
    _P(
        "paco2_mmhg",
        40.0,
        "mmHg",
        "arterial PCO2",
        "assumed: normocapnia (Severinghaus standard conditions)",
        Fixed(40.0),
    ),
    _P(
        "respiratory_quotient",
        0.8,
        "dimensionless",
        "respiratory quotient in the alveolar gas equation",
        WEST,
        Fixed(0.8),
    ),
    _P(
        "haemoglobin_g_dl",
        11.0,
        "g/dL",
        "haemoglobin",
        "assumed: typical ICU value",
        Normal(11.0, 1.5, 7.0, 16.0),
    ),
    _P("o2_binding_ml_per_g", 1.34, "mL O2/g Hb", "Huefner's number", WEST, Fixed(1.34)),
    _P("o2_solubility_ml_dl_mmhg", 0.003, "mL O2/dL/mmHg", "dissolved O2 per mmHg", WEST, Fixed(0.003)),
    _P(
        "avdo2_ml_dl",
        4.5,
        "mL O2/dL",
        "arterial-mixed venous O2 content difference",
        "assumed: 3.5-5 mL/dL in the critically ill (high cardiac output)",
        Uniform(3.5, 5.0),
    ),
    _P(
        "pao2_equilibration_per_h",
        12.0,
        "1/h",
        "rate at which PaO2 follows its iso-shunt equilibrium",
        "assumed: blood gases follow shunt changes within minutes (5-min time constant keeps stiffness mild)",
        Fixed(12.0),
    ),
    # Repair vs fibrosis.
    _P(
        "macrophage_recruit_per_h",
        0.01,
        "1/h",
        "recruitment of pro-fibrotic macrophages by barrier injury",
        ADLER,
        LogNormal(0.01, 0.4),
    ),
    _P(
        "macrophage_growth_per_h",
        0.03,
        "1/h",
        "macrophage expansion driven by myofibroblast CSF1",
        ADLER,
        LogNormal(0.03, 0.2),
    ),
    _P("macrophage_decay_per_h", 0.01, "1/h", "macrophage removal", ADLER, Fixed(0.01)),
    _P(
        "macrophage_csf_half",
        0.3,
        "fraction",
        "myofibroblast level at half-maximal CSF1 signal",
        ADLER,
        Fixed(0.3),
    ),
    _P(
        "myofibroblast_growth_per_h",
        0.02,
        "1/h",
        "myofibroblast expansion driven by macrophage PDGF",
        ADLER,
        LogNormal(0.02, 0.2),
    ),
    _P(
        "myofibroblast_activation_per_h",
        0.002,
        "1/h",
        "fibroblast-to-myofibroblast activation by macrophages",
        ADLER,
        Fixed(0.002),
    ),
    _P(
        "myofibroblast_decay_per_h", 0.008, "1/h", "myofibroblast apoptosis/deactivation", ADLER, Fixed(0.008)
    ),
    _P(
        "myofibroblast_pdgf_half",
        0.3,
        "fraction",
        "macrophage level at half-maximal PDGF signal",
        ADLER,
        Fixed(0.3),
    ),
    _P(
        "fvc_reference_pct",
        100.0,
        "% predicted",
        "FVC of the patient's healthy lung",
        "assumed: normal spirometry spread (z-scores)",
        Normal(100.0, 10.0, 60.0, 140.0),
    ),
    _P(
        "fvc_fibrosis_loss",
        0.35,
        "fraction",
        "fraction of FVC lost with maximal myofibroblast burden",
        FREE,
        Fixed(0.35),
        free=True,
    ),
    _P(
        "dlco_reference_pct",
        100.0,
        "% predicted",
        "DLCO of the patient's healthy lung",
        "assumed: normal spread",
        Normal(100.0, 10.0, 60.0, 140.0),
    ),
    _P(
        "dlco_fibrosis_loss",
        0.45,
        "fraction",
        "fraction of DLCO lost with maximal myofibroblast burden",
        FREE,
        Fixed(0.45),
        free=True,
    ),
    _P(
        "dlco_barrier_loss",
        0.3,
        "fraction",
        "fraction of DLCO lost with a fully injured barrier",
        "assumed: DLCO stays reduced while the barrier repairs (Herridge 2011)",
        Fixed(0.3),
    ),
    # Post-ARDS remodelling (slow): residual parenchymal and microvascular injury
    # that lowers DLCO for months to years after the barrier has closed.
    _P(
        "remodelling_per_h",
        0.02,
        "1/h",
        "accrual of residual lung injury per unit barrier damage",
        "assumed: scaled so survivors' DLCO sits near 70-80 % predicted at 6-12 months; " + HERRIDGE2003,
        LogNormal(0.02, 0.5),
    ),
    _P(
        "remodelling_resolution_per_h",
        6.0e-5,
        "1/h",
        "resolution of residual lung injury (half-life about 16 months)",
        "assumed: DLCO low at 1 year, near-normal lung function at 5 years; " + HERRIDGE2011,
        LogNormal(6.0e-5, 0.5),
    ),
    _P(
        "fvc_remodelling_loss",
        0.15,
        "fraction",
        "fraction of FVC lost with complete residual lung injury",
        "assumed: spirometry is nearly normal by 6 months while DLCO is not; " + HERRIDGE2003,
        Fixed(0.15),
    ),
    _P(
        "dlco_remodelling_loss",
        0.6,
        "fraction",
        "fraction of DLCO lost with complete residual lung injury",
        "assumed: " + HERRIDGE2003,
        Fixed(0.6),
    ),
    # ICU-acquired weakness: the non-pulmonary limit on exercise after ARDS.
    _P(
        "weakness_gain_per_h",
        0.0005,
        "1/h",
        "loss of walking capacity per hour of critical illness (organ dysfunction + lung injury)",
        "assumed: muscle weakness and fatigue limit survivors (18 % body weight lost by ICU discharge); "
        + HERRIDGE2003,
        LogNormal(0.0005, 0.5),
    ),
    _P(
        "weakness_recovery_per_h",
        5.0e-5,
        "1/h",
        "recovery of walking capacity (half-life about 1.6 years)",
        "assumed: 6MWD 66 % of predicted at 1 year (Herridge 2003) and 76 % at 5 years; " + HERRIDGE2011,
        LogNormal(5.0e-5, 0.5),
    ),
    _P(
        "walk_persistent_deficit",
        0.15,
        "fraction",
        "walking capacity that does not return (6MWD below predicted at 5 years)",
        "assumed: neither younger nor older survivors returned to predicted physical function; "
        + HERRIDGE2011,
        Normal(0.15, 0.09, 0.0, 0.6),
    ),
    # Non-pulmonary organ dysfunction (shock, kidney, liver, coagulation): a
    # normalised non-respiratory SOFA proxy driven by systemic inflammation.
    _P(
        "organ_injury_per_h",
        0.0002,
        "1/h",
        "maximal rate of non-pulmonary organ injury from systemic inflammation",
        TUNED + "; " + MONTGOMERY,
        Fixed(0.0002),
    ),
    _P(
        "organ_susceptibility",
        1.0,
        "dimensionless",
        "patient's non-pulmonary organ vulnerability (comorbidity, shock)",
        "assumed: independent of lung susceptibility, so mild ARDS carries non-pulmonary risk ("
        + PHAM
        + "); per-aetiology priors in AETIOLOGY_PRIORS after "
        + SHEU
        + " and "
        + CALFEE,
        LogNormal(1.0, 1.0),
    ),
    _P(
        "organ_dysfunction_initial",
        0.25,
        "fraction",
        "non-pulmonary organ dysfunction at the insult (shock, comorbid organ failure)",
        "assumed: present before and independent of the lung injury, so that mild ARDS dies of "
        "non-pulmonary organ failure (" + PHAM + "; " + MONTGOMERY + "); per-aetiology priors in "
        "AETIOLOGY_PRIORS",
        Normal(0.25, 0.2, 0.0, 0.95),
    ),
    _P(
        "organ_damage_half",
        1.0,
        "damage index",
        "tissue damage D at half-maximal organ injury",
        "assumed: below the peaks of resolving courses, so a transient systemic response injures organs too",
        Fixed(1.0),
    ),
    _P(
        "organ_recovery_per_h",
        0.002,
        "1/h",
        "organ recovery rate (half-life about 2 weeks)",
        TUNED + "; organ support in ARDS survivors lasts days to weeks",
        LogNormal(0.002, 0.3),
    ),
    # Harm: pro-coagulant (tissue factor) activity of intravenous MSC entrapped in the lung.
    _P(
        "msc_procoagulant_per_h",
        6.0e-6,
        "1/(1e6 cells h)",
        "microthrombus formation per lung MSC per hour at unit tissue-factor activity",
        "assumed: scaled so that 1e6 cells/kg causes minor microthrombosis and 1e8-1e9 cells/kg "
        "widespread occlusion; " + MOLL2012,
        Fixed(6.0e-6),
    ),
    _P(
        "msc_tissue_factor_activity",
        1.0,
        "dimensionless",
        "relative pro-coagulant (tissue factor) activity of the infused product in this patient",
        "assumed spread (CV about 1): " + MOLL2019,
        LogNormal(1.0, 1.0),
    ),
    _P(
        "thrombus_lysis_per_h",
        0.06,
        "1/h",
        "microthrombus clearance by fibrinolysis (half-life about 12 h)",
        "assumed: "
        + "Tatsumi K et al., Biochem Biophys Res Commun 2013;431:203-9, doi:10.1016/j.bbrc.2012.12.134 "
        + "(MSC-induced pulmonary thromboembolism in mice, tissue-factor dependent)",
        LogNormal(0.06, 0.3),
    ),
    # MSC after IV infusion.
    _P(
        "msc_first_pass_fraction",
        0.8,
        "fraction",
        "fraction of infused viable MSC entrapped in the lung",
        LEE + ": most IV MSC trapped in lung; human 111In 27-34 % of activity (Gholamrezanezhad 2011)",
        Uniform(0.3, 0.9),
    ),
    _P(
        "msc_lung_half_life_h",
        24.0,
        "h",
        "viable MSC half-life in a non-inflamed lung",
        LEE,
        LogNormal(24.0, 0.5),
    ),
    _P(
        "msc_inflamed_retention",
        1.5,
        "dimensionless (>= 1)",
        "maximal prolongation of MSC lung residence in an inflamed lung",
        "Masterson CH et al., Sci Rep 2021 (retention higher in inflamed lung); size assumed",
        Uniform(1.0, 2.5),
    ),
    _P(
        "msc_retention_half_n",
        0.1,
        "N*-units",
        "activated phagocytes at half-maximal retention",
        "assumed: retention follows innate activation",
        Fixed(0.1),
    ),
    # Exosomes after inhalation.
    _P(
        "deposition_jet",
        0.12,
        "fraction",
        "lung deposition of a jet nebuliser charge",
        "model-reference section 7: jet ~12 % to lungs (66 % left in device, 20 % exhaled)",
        Uniform(0.08, 0.16),
    ),
    _P(
        "deposition_mesh",
        0.36,
        "fraction",
        "lung deposition of a mesh nebuliser charge",
        "model-reference section 7: mesh up to ~3x jet; nominal 3 x 12 %",
        Uniform(0.2, 0.4),
    ),
    _P(
        "deposition_ventilator_inline",
        0.2,
        "fraction",
        "deposition of an in-line ventilator nebuliser charge",
        "model-reference section 7: 5.7-37.4 % of the charge during mechanical ventilation",
        Uniform(0.057, 0.374),
    ),
    _P(
        "exosome_airway_half_life_h",
        12.0,
        "h",
        "half-life of deposited exosomes in the airway",
        "assumed: no lung value exists; IV EV terminal half-life 2.5-13 h in mice",
        LogNormal(12.0, 0.6),
    ),
    # Secretome effects: exposure Z = MSC/EC50 + EV/EC50; each effect Emax * Z / (1 + Z).
    _P(
        "msc_ec50_1e6_cells",
        50.0,
        "1e6 cells",
        "lung viable MSC at half-maximal secretome effect",
        FREE + "; prior median = lung MSC after about 1e6 cells/kg (80 kg x 90 % viable x 80 % "
        "first pass = 58e6 cells), so that the benefit is about 90 % of its maximum by 1e7 cells/kg "
        "(assumed: the highest dose studied in ARDS, Wilson JG et al., Lancet Respir Med 2015;3:24-32, "
        "doi:10.1016/S2213-2600(14)70291-7, phase 1 escalation 1e6-1e7 cells/kg); above it the "
        "benefit saturates while the microthrombus harm keeps growing with the cell number",
        LogNormal(50.0, 0.5),
        free=True,
    ),
    _P(
        "exosome_ec50_1e8_particles",
        1.0,
        "1e8 particles",
        "airway exosomes at half-maximal effect",
        FREE,
        LogNormal(1.0, 0.8),
        free=True,
    ),
    _P(
        "secretome_anti_inflammatory_max",
        0.006,
        "C_A-units/h",
        "maximal added anti-inflammatory source",
        FREE + " (TSG-6/IL-10 from lung MSC, Lee 2009)",
        LogNormal(0.006, 0.5),
        free=True,
    ),
    _P(
        "secretome_barrier_repair_max",
        0.5,
        "dimensionless",
        "maximal relative increase of barrier repair",
        FREE + " (KGF, Ang-1; no concentration-effect data)",
        LogNormal(0.5, 0.5),
        free=True,
    ),
    _P(
        "secretome_afc_max",
        0.5,
        "dimensionless",
        "maximal relative increase of fluid clearance",
        FREE + " (KGF; no concentration-effect data)",
        LogNormal(0.5, 0.5),
        free=True,
    ),
    _P(
        "secretome_antifibrotic_max",
        0.5,
        "dimensionless",
        "maximal relative increase of myofibroblast removal",
        FREE,
        LogNormal(0.5, 0.5),
        free=True,
    ),
    # Death hazard: mortality is an outcome.
    _P(
        "hazard_scale_per_h",
        0.0007,
        "1/h",
        "death hazard at complete hypoxaemia and barrier failure",
        FREE + "; spread assumed (CV 0.8): between-patient frailty (comorbidity, age beyond the age term)",
        LogNormal(0.0007, 0.8),
        free=True,
    ),
    _P(
        "hazard_pao2_half_mmhg",
        55.0,
        "mmHg",
        "PaO2 at half-maximal hypoxaemia hazard",
        "assumed: ARDSNet oxygenation target floor PaO2 55 mmHg (NEJM 2000)",
        Fixed(55.0),
    ),
    _P("hazard_pao2_hill", 6.0, "dimensionless", "steepness of the hypoxaemia hazard", "assumed", Fixed(6.0)),
    _P(
        "hazard_barrier_weight",
        0.0,
        "dimensionless",
        "weight of barrier failure relative to hypoxaemia",
        "assumed: 0 since model 0.3.0 - a lung-severity term made the mortality gradient across "
        "Berlin grades too steep (mild 16 %, severe 53 % against 27 % and 45 %); lung deaths now come "
        "from hypoxaemia alone",
        Fixed(0.0),
        free=True,
    ),
    _P(
        "hazard_barrier_half",
        0.7,
        "fraction",
        "barrier damage at half-maximal damage hazard",
        "assumed: sets how strongly death follows lung severity; fitted by `stromal calibrate` "
        "to the Berlin mortality gradient (Ranieri 2012)",
        Fixed(0.7),
        free=True,
    ),
    _P(
        "hazard_damage_weight",
        0.0,
        "dimensionless",
        "weight of persistent systemic tissue damage (Reynolds D) relative to hypoxaemia",
        "assumed: most ARDS deaths come from sepsis and multi-organ failure, few from refractory "
        "hypoxaemia (Montgomery AB et al., Am Rev Respir Dis 1985;132:485-9, "
        "doi:10.1164/arrd.1985.132.3.485); 0 since model 0.3.0: systemic damage kills through the "
        "organ-dysfunction state, which spreads that risk across Berlin grades",
        Fixed(0.0),
        free=True,
    ),
    _P(
        "hazard_damage_half",
        5.0,
        "damage index",
        "tissue damage D at half-maximal damage hazard",
        "assumed: between the peaks of resolving courses (D < ~3.5) and the persistent plateau "
        "(D ~17.4, Reynolds 2006), so the term marks persistent systemic inflammation",
        Fixed(5.0),
    ),
    _P(
        "hazard_organ_weight",
        2.1,
        "dimensionless",
        "weight of non-pulmonary organ failure relative to hypoxaemia",
        FREE + " (from the hand-tuned 2.1); " + MONTGOMERY,
        Fixed(2.1),
        free=True,
    ),
    _P(
        "hazard_organ_half",
        0.2,
        "fraction",
        "organ dysfunction at half-maximal organ-failure hazard",
        TUNED,
        Fixed(0.2),
    ),
    _P(
        "hazard_thrombus_weight",
        2.0,
        "dimensionless",
        "weight of MSC-induced pulmonary microthrombosis relative to hypoxaemia",
        "assumed: " + MOLL2012 + "; fatal thromboembolism after stem-cell infusion reported "
        "(Cyranoski D, Nature 2010;468:485, doi:10.1038/468485a)",
        Fixed(2.0),
    ),
    _P(
        "hazard_thrombus_half",
        0.15,
        "fraction",
        "microthrombus burden at half-maximal thrombosis hazard",
        "assumed",
        Fixed(0.15),
    ),
    _P(
        "hazard_age_log_per_year",
        0.025,
        "1/year",
        "log hazard ratio per year of age (centred at 60)",
        FREE,
        Fixed(0.025),
        free=True,
    ),
    _P(
        "hazard_reference_age_years",
        60.0,
        "years",
        "age at which the age terms equal 1",
        "assumed: centring value",
        Fixed(60.0),
    ),
    _P(
        "background_hazard_per_h",
        1.1e-6,
        "1/h",
        "background mortality at age 60 (~1 %/year)",
        "assumed: general-population life tables",
        Fixed(1.1e-6),
    ),
    _P(
        "gompertz_per_year",
        0.085,
        "1/year",
        "background mortality increase per year of age",
        "Gompertz law: adult mortality doubles about every 8 years",
        Fixed(0.085),
    ),
    # Patient covariates (per patient, in the parameter vector).
    _P("age_years", 60.0, "years", "age", "assumed: adult ARDS cohorts", Uniform(18.0, 85.0)),
    _P(
        "sex_male",
        1.0,
        "1 = male",
        "sex (for predicted body weight)",
        "assumed: ~60 % men in ARDS cohorts",
        Bernoulli(0.6),
    ),
    _P(
        "height_cm",
        170.0,
        "cm",
        "height (for predicted body weight)",
        "assumed",
        Normal(170.0, 9.0, 140.0, 205.0),
    ),
    _P("weight_kg", 80.0, "kg", "actual body weight (for cells/kg dosing)", "assumed", LogNormal(80.0, 0.2)),
    _P(
        "enrolment_time_h",
        36.0,
        "h",
        "time from insult onset (t = 0) to enrolment (day 0)",
        "assumed: enrolment within 48-96 h of ARDS onset (START protocol: <= 96 h)",
        Uniform(24.0, 72.0),
    ),
)

PARAMETERS: tuple[ParameterSpec, ...] = _CORE + _EXTENSIONS
PARAMETER_INDEX: dict[str, int] = {p.name: i for i, p in enumerate(PARAMETERS)}
if len(PARAMETER_INDEX) != len(PARAMETERS):
    raise RuntimeError("duplicate parameter names")

#: Aetiology priors replace the default distributions of the insult parameters.
#: All assumed; the Reynolds core is bistable: with k_pg ~0.3 /h an insult
#: P(0) below ~1 resolves and one above ~1.2 ends in the persistent "aseptic"
#: state (D ~17), with k_pg >= 0.6 in the "septic" one (Reynolds 2006 and the
#: regression in tests/model/test_reynolds.py). The priors put most of their
#: mass below the threshold so that most ARDS resolves and a minority
#: (about 5 % of mild, 20 % of moderate and 40 % of severe ARDS at enrolment,
#: before calibration) has persistent inflammation:
#: viral pneumonia = slow growth, moderate load; sepsis = faster growth
#: (towards Reynolds' septic range), smaller load; trauma = sterile damage
#: (small pathogen load, initial damage D(0) > 0). Non-pulmonary organ
#: susceptibility (assumed medians 1.8 / 1 / 0.5): sepsis-related ARDS dies more
#: often than non-septic ARDS (Sheu CC et al., Chest 2010;138:559-67,
#: doi:10.1378/chest.09-2933: 60-day mortality 38.2 % vs 22.6 %) and
#: trauma-associated ARDS less often (Calfee CS et al., Crit Care Med
#: 2007;35:2243-50, doi:10.1097/01.CCM.0000280434.33451.87).
AETIOLOGY_PRIORS: dict[str, dict[str, Distribution]] = {
    "viral": {
        "k_pg": LogNormal(0.28, 0.15),
        "insult_p0": LogNormal(0.7, 0.5),
        "initial_damage_d0": Fixed(0.0),
        "organ_susceptibility": LogNormal(1.0, 1.0),
        "organ_dysfunction_initial": Normal(0.25, 0.2, 0.0, 0.95),
    },
    "sepsis": {
        "k_pg": LogNormal(0.35, 0.2),
        "insult_p0": LogNormal(0.5, 0.6),
        "initial_damage_d0": Fixed(0.0),
        "organ_susceptibility": LogNormal(1.8, 1.0),
        "organ_dysfunction_initial": Normal(0.4, 0.2, 0.0, 0.95),
    },
    "trauma": {
        "k_pg": LogNormal(0.3, 0.15),
        "insult_p0": LogNormal(0.1, 0.6),
        "initial_damage_d0": LogNormal(1.0, 0.5),
        "organ_susceptibility": LogNormal(0.5, 1.0),
        "organ_dysfunction_initial": Normal(0.15, 0.15, 0.0, 0.95),
    },
}
AETIOLOGIES: tuple[str, ...] = tuple(AETIOLOGY_PRIORS)


def nominal_parameters(*, calibrated: bool = False) -> npt.NDArray[np.float64]:
    """The nominal parameter vector, shape ``(len(PARAMETERS),)``.

    ``calibrated=True`` applies the fitted values installed in
    ``stromal/model/calibrated.toml`` by ``stromal calibrate --install``
    (virtual populations apply them by default, see
    ``stromal.model.population.generate_population``).
    """
    out = np.array([p.value for p in PARAMETERS], dtype=np.float64)
    if calibrated:
        for name, value in calibrated_values().items():
            out[PARAMETER_INDEX[name]] = value
    return out


def calibrated_values() -> dict[str, float]:
    """Fitted values from ``stromal/model/calibrated.toml`` (empty if none is installed).

    Each value replaces the nominal one; in a population the parameter's
    whole distribution is scaled by fitted / nominal.
    """
    import tomllib
    from importlib import resources

    entry = resources.files("stromal.model") / "calibrated.toml"
    if not entry.is_file():
        return {}
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    fitted = {str(k): float(v) for k, v in data.get("parameters", {}).items()}
    unknown = sorted(set(fitted) - set(PARAMETER_INDEX))
    if unknown:
        raise ValueError(f"calibrated.toml: parameters.{unknown[0]}: not a model parameter")
    return fitted


def sample_parameters(
    rng: np.random.Generator,
    n: int,
    *,
    aetiology: str,
    overrides: Mapping[str, float] | None = None,
) -> npt.NDArray[np.float64]:
    """Draw ``n`` virtual patients, shape ``(n, len(PARAMETERS))``.

    ``aetiology`` ("viral", "sepsis" or "trauma") selects the insult priors
    (``AETIOLOGY_PRIORS``); ``overrides`` fixes named parameters for everyone.
    Raises ``ValueError`` naming the argument and the rule on bad input.
    """
    if aetiology not in AETIOLOGY_PRIORS:
        raise ValueError(f"aetiology: {aetiology!r} is not one of {', '.join(AETIOLOGIES)}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n: must be a whole number >= 0, got {n!r}")
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if key not in PARAMETER_INDEX:
            raise ValueError(f"overrides.{key}: unknown parameter")
        if not math.isfinite(float(value)):
            raise ValueError(f"overrides.{key}: must be a finite number, got {value!r}")
    priors = AETIOLOGY_PRIORS[aetiology]
    out = np.empty((int(n), len(PARAMETERS)), dtype=np.float64)
    for j, spec in enumerate(PARAMETERS):
        if spec.name in overrides:
            out[:, j] = float(overrides[spec.name])
        else:
            out[:, j] = priors.get(spec.name, spec.distribution).sample(rng, int(n))
    return out
