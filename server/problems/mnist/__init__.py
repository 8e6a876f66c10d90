"""The MNIST lab: the "92% to 99.3%" ladder of models, trained live on handwritten digits.

Modules: `data` (loading), `choices` (its part of the catalogue), `models` (the
presets and the Keras models with the code they show), `spec`, `trainer` (the
chunked, compiled training loop), `schedule` (when to evaluate: pure), `panels`
(the views' data: pure), `job` and `problem` (the plug-in).
"""
