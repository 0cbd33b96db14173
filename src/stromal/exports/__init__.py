"""Data exports of the registry: CSV, SPSS .sav and CDISC ODM 1.3.2, streamed and audited.

The command line (``stromal export``) and the Export page run the same code
(``exports.services.export_write``); from the web it runs as a background task.
"""
