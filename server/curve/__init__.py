"""One-input regression ("curve") runs: the mystery equation, the crickets and the learner's CSV.

Modules: `data` (data sets, CSV parsing, split, normalisation: pure, no Flask or
TensorFlow), `choices` (the catalogue section: limits, defaults, lessons), `spec`
(validating a run spec) and `job` (the run's job on the shared `EpochTrainer`).
This file imports nothing, so `server.catalog` can import `choices` without a cycle.
"""
