"""Which way is up? The talk's last lesson: a convolutional network says whether a
photo's top points up, right, down or left.

Modules: `rotations` (the four turns and their labels: pure), `photos` (crops of
scikit-image's sample photographs, split by photo: pure), `uploads` (a learner's own
photos: bounded, decoded safely, stored under the data directory), `data` (the three
data sets as the classifier job takes them), `choices` (its part of the catalogue),
`models` (the talk's architecture scaled to the input, and a small one), `spec`,
`job` (the shared classifier job with rotations made in the graph, Pass/Fail
galleries and per-class figures), `upload_api` (the upload endpoints) and `problem`
(the plug-in).
"""
