"""Layer probes: one batch forward and backward, per-layer diagnostics, in each framework.

Import the framework you use; this package itself imports none of them::

    from xavier_adapters.probes import torch as probe_torch    # any torch.nn.Module
    from xavier_adapters.probes import keras as probe_keras    # a Keras 3 layer chain
    from xavier_adapters.probes import jax as probe_jax        # a Flax linen Module

Each ``probe(...)`` returns a :class:`xavier_core.diagnostics.LayerReport`: per weight layer,
the activations' mean, std and saturated fraction, and the variances of the back-propagated
gradient dC/ds and of the weight gradient dC/dW. All of those numbers are computed in
:mod:`xavier_core.diagnostics`; a probe only runs the framework's forward and backward pass and
hands over the raw values.
"""
