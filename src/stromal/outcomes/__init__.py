"""Read-only analytics of the registry: cohorts, flow, survival, trajectories and safety.

Nothing here writes a clinical record. Every read is scoped by ``outcomes.scope``:
investigators and monitors see their own site, a study-wide reader every site.
"""
