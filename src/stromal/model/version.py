"""The model's version, apart from its SymPy definition.

Kept in its own module so that code which only compares versions (a trial
checking that ``posterior.json`` belongs to this model) does not import SymPy.
:mod:`stromal.model.definition` re-exports it as ``MODEL_VERSION``; change it
there and here together by editing this file only.
"""

MODEL_VERSION = "0.3.0"
