"""The playground's choices, limits and defaults (its part of `GET /api/catalog`).

Keys and values follow the classic playground's URL hash, so a playground link
maps onto a run spec one to one. Pure constants: the spec checks and the
catalogue document both read them.
"""

from __future__ import annotations

from typing import Any

from server.values import Limit

PROBLEM_TYPES = (("classification", "Classification"), ("regression", "Regression"))
# (key, label, Keras name): the key is the URL's, the Keras name what the model is built with.
ACTIVATION_CHOICES = (
    ("relu", "ReLU", "relu"),
    ("tanh", "Tanh", "tanh"),
    ("sigmoid", "Sigmoid", "sigmoid"),
    ("linear", "Linear", "linear"),
    ("leakyRelu", "Leaky ReLU", "leaky_relu"),
    ("elu", "ELU", "elu"),
    ("swish", "Swish (SiLU)", "silu"),
    ("softplus", "Softplus", "softplus"),
)
ACTIVATIONS = tuple((key, label) for key, label, _ in ACTIVATION_CHOICES)
KERAS_ACTIVATION = {key: keras_name for key, _, keras_name in ACTIVATION_CHOICES}
# The optimizers a learner picks (keys of server/training/optimizers.py), with their Keras class.
OPTIMIZERS = (
    ("sgd", "SGD", "SGD"),
    ("momentum", "SGD + momentum (0.9)", "SGD(momentum=0.9)"),
    ("adam", "Adam", "Adam"),
    ("rmsprop", "RMSprop", "RMSprop"),
)
DROPOUT_RATES = (0, 0.1, 0.2, 0.3, 0.5)
DROPOUT = Limit(0.0, 0.9)
# Drawn or uploaded points: at most this many, labels are class numbers below MAX_CLASSES.
MAX_POINTS = 1000
MAX_CLASSES = 5
# A link carries at most this many drawn points (5 characters each in the hash).
MAX_SHARED_POINTS = 400
REGULARIZATIONS = (("none", "None"), ("L1", "L1"), ("L2", "L2"))
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
OUTPUT_ACTIVATION = {"classification": "tanh", "regression": "linear"}
MANY_CLASS_OUTPUT_ACTIVATION = "softmax"  # data with three or more classes
INPUT_RANGE = (-6.0, 6.0)

# Ranges the API accepts; the rate lists above are what the controls offer.
LEARNING_RATE = Limit(0.00001, 10.0)
REGULARIZATION_RATE = Limit(0.0, 10.0)
# A link's noise and ratio are used as they are (noise=12, percTrainData=33.3), as the
# classic does; the sliders step by 5 and 10. The classic's noise slider ends at 50 but
# a link may ask up to 80, which widens it.
NOISE = Limit(0, 80, step=5, slider_max=50)
PERC_TRAIN_DATA = Limit(10, 90, step=10)
BATCH_SIZE = Limit(1, 30, whole=True)
MAX_SEED_LENGTH = 64
# The page's animation frames a second, for the `frame` pace (screens run 30 to 240 Hz).
FRAME_RATE = Limit(1, 240, default=60)

DEFAULTS: dict[str, Any] = {
    "problem": "classification",
    "dataset": "circle",
    "regDataset": "reg-plane",
    "noise": 0,
    "percTrainData": 50,
    "batchSize": 10,
    "x": True,
    "y": True,
    "xSquared": False,
    "ySquared": False,
    "xTimesY": False,
    "sinX": False,
    "sinY": False,
    "networkShape": [4, 2],
    "activation": "tanh",
    "regularization": "none",
    "regularizationRate": 0,
    "learningRate": 0.03,
    "initZero": False,  # the classic's lesson on symmetry: every weight and bias starts at 0
    "pace": "log",  # how fast the run trains while a page watches (server/training/pace.py)
    "optimizer": "sgd",
    "dropout": 0,
    "points": [],  # drawn points [[x1, x2, class], …]; none: the data set's
}
