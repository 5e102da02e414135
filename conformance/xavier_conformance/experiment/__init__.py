"""The Glorot & Bengio (2010) experiment on MNIST, in PyTorch, Keras 3 and JAX.

    python -m xavier_conformance.experiment init     # at initialization: ratios and figures
    python -m xavier_conformance.experiment train    # short SGD training vs the paper's table 1

- :mod:`~xavier_conformance.experiment.paper`: the setting (5 x 1000 units, the two inits,
  table 1);
- :mod:`~xavier_conformance.experiment.runs`: probes at initialization and short training runs;
- :mod:`~xavier_conformance.experiment.analysis`: ratios over seeds, agreement across frameworks;
- :mod:`~xavier_conformance.experiment.figures`: the PNG figures (matplotlib, imported lazily),
  usable on any :class:`xavier_core.diagnostics.LayerReport`;
- ``torch_mlp``, ``keras_mlp``, ``jax_mlp``: the model in each framework, loaded on demand by
  :func:`~xavier_conformance.experiment.frameworks.load`.

Importing this package imports no framework.
"""
