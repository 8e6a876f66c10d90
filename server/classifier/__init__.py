"""An image classifier trained live, in chunks: the machinery the MNIST lab and
"Which way is up?" share.

Modules: `layers` (the layer list a learner edits: its limits and checks), `size`
(how big a layer list's model is: pure), `models` (the Keras model and the code it
shows), `trainer` (chunked, compiled training), `schedule` (when to evaluate: pure),
`panels` (the views' data: pure) and `job` (the job that trains one run and
publishes its metrics, panels and evaluations). A problem gives its data, input
shape, classes and presets; it keeps its own page.
"""
