"""Runs: the state machine and training thread (`run`), event logs and streams (`events`),
the SQLite store (`store`) and the export models (`models`). Nothing here knows a problem.
"""
