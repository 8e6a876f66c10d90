"""The playground: the classic's 2-D data sets, features and small networks, on real TensorFlow.

Modules: `seeded_random` and `js_math` (the classic's random numbers and V8's
Math, for exact data), `datasets` and `features` (pure: no Flask or TensorFlow),
`choices` (its part of the catalogue), `spec` (validating a spec), `job` (the
run's job on the shared `EpochTrainer`) and `problem` (the plug-in).
"""
