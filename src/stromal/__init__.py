"""Stromal: care pathway, registry, clinical rules and in-silico trials for MSC therapy of ARDS.

Research and clinical-study software, not a certified medical device.
"""

__version__ = "0.1.0"

RESEARCH_DISCLAIMER = (
    "Stromal is research and clinical-study software, not a certified medical device. "
    "Its outputs support, and never replace, the judgement of qualified clinicians."
)
