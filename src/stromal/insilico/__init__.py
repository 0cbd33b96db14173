"""In silico inside the clinic: the trial designer for investigators (``/insilico/``).

Runs the engine (``stromal.model``) as background tasks on the database-backed worker
and keeps every run: its configuration, seed, model version, calibration provenance,
who ran it and when, its progress and its files (summary.json, outcomes.parquet, report.html).
"""
