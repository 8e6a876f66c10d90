"""Fitting a line or a curve to one input: the mystery equation, the crickets and your own CSV.

Modules: `data` (data sets, CSV parsing, split, normalisation: pure, no Flask or
TensorFlow), `choices` (its part of the catalogue: limits, defaults, lessons),
`spec` (validating a spec and live changes), `job` (the run's job on the shared
`EpochTrainer`) and `problem` (the plug-in). Called "curve" before; that name
stays an alias.
"""
