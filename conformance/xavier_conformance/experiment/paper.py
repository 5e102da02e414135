"""The setting of Glorot & Bengio (2010) as plain numbers: the model, the two inits, table 1.

X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward neural
networks", AISTATS 2010: 5 hidden layers of 1000 units, tanh, sigmoid or softsign, biases 0,
softmax output, negative log-likelihood, SGD on mini-batches of 10. The "standard" init is
U(+-1/sqrt(n)) over the fan-in n (``xavier_core.standard_uniform()``); the "normalized" init is
Glorot's U(+-sqrt(6 / (n_in + n_out))) (``xavier_core.glorot_uniform()``, gain 1).
"""

from __future__ import annotations

import itertools

import xavier_core as xc

INPUTS = 784
HIDDEN_UNITS = 1000
HIDDEN_LAYERS = 5
CLASSES = 10
BATCH_SIZE = 10
ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "softsign")
INITS: dict[str, xc.VarianceScaling] = {
    "standard": xc.standard_uniform(),
    "glorot": xc.glorot_uniform(),
}
"""The two inits compared, by the names the command and the tables use."""
INIT_LABELS: dict[str, str] = {
    "standard": "standard U(±1/√n_in)",
    "glorot": "Glorot U(±√(6/(n_in+n_out)))",
}
PAPER_MNIST_TEST_ERROR: dict[tuple[str, str], float] = {
    ("softsign", "standard"): 1.64,
    ("softsign", "glorot"): 1.72,
    ("tanh", "standard"): 1.76,
    ("tanh", "glorot"): 1.64,
    ("sigmoid", "standard"): 2.21,
}
"""Table 1 of the paper, MNIST column, test error in percent ("N" rows are the normalized
init; the paper reports no sigmoid with the normalized init)."""


def layer_sizes(hidden_layers: int = HIDDEN_LAYERS, hidden_units: int = HIDDEN_UNITS,
                inputs: int = INPUTS, classes: int = CLASSES) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of each weight layer: 784 -> 1000 x 5 -> 10 by default."""
    widths = [inputs, *([hidden_units] * hidden_layers), classes]
    return list(itertools.pairwise(widths))
