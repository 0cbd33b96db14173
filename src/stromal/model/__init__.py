"""The in-silico engine: a mechanistic model of ARDS with IV MSC and inhaled
exosome arms, virtual populations and in-silico trials. No Django.

A research model: every output names the model version and its uncertainty.
"""
