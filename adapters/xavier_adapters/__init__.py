"""xavier_adapters: the xavier_core spec as each framework's native initializer.

Import the framework you use; this package itself imports none of them::

    from xavier_adapters import numpy as xnp    # reference sampler, numpy.random.Generator
    from xavier_adapters import torch as xt     # torch.nn.init drop-ins and init_model
    from xavier_adapters import keras as xk     # keras.initializers subclasses and init_model
    from xavier_adapters import jax as xj       # jax.nn.initializers factories and init_params
"""
