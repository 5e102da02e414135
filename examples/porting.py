"""Porting a model between PyTorch, Keras and JAX without changing how it starts.

One small depthwise-separable CNN for 28x28 images (conv 3x3 -> depthwise 3x3 -> pointwise 1x1
-> dense), built in each framework and Glorot-initialized by xavier-init's layer-aware init:
``init_model`` for PyTorch and Keras, ``init_params`` for Flax. Every layer then gets the same
Glorot std in all three, from its own fans: the depthwise convolution counts one input channel
per group, fans (9, 9). Each framework's DEFAULT init gives these layers different numbers, and
the second table shows them: PyTorch's kaiming_uniform(a=sqrt 5), Keras' glorot_uniform (with
the depthwise fans counted over all channels) and Flax's lecun_normal.

    python examples/porting.py
"""

import os
from collections import OrderedDict

os.environ.setdefault("KERAS_BACKEND", "jax")  # any Keras backend gives the same table

import torch  # noqa: I001  (torch before keras, which may import tensorflow)
import flax.linen as fnn
import jax
import keras
import numpy as np
from torch import nn

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters import keras as xk
from xavier_adapters import torch as xt

LAYERS = ("conv", "depthwise", "pointwise", "dense")


def torch_model() -> nn.Module:
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(1, 32, 3), relu1=nn.ReLU(),
        depthwise=nn.Conv2d(32, 32, 3, groups=32), relu2=nn.ReLU(),
        pointwise=nn.Conv2d(32, 64, 1), relu3=nn.ReLU(),
        pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
        dense=nn.Linear(64, 10)))


def keras_model() -> keras.Model:
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu", name="conv"),
        keras.layers.DepthwiseConv2D(3, activation="relu", name="depthwise"),
        keras.layers.Conv2D(64, 1, activation="relu", name="pointwise"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, name="dense"),
    ], name="cnn")


class FlaxCNN(fnn.Module):
    @fnn.compact
    def __call__(self, x):
        x = fnn.relu(fnn.Conv(32, (3, 3), padding="VALID", name="conv")(x))
        x = fnn.relu(fnn.Conv(32, (3, 3), padding="VALID", feature_group_count=32,
                              name="depthwise")(x))
        x = fnn.relu(fnn.Conv(64, (1, 1), name="pointwise")(x))
        return fnn.Dense(10, name="dense")(x.mean(axis=(1, 2)))


def std(weight) -> float:
    return float(np.std(np.asarray(weight)))


# PyTorch: measure the defaults, then init_model (Glorot uniform, biases zero).
torch.manual_seed(0)
model = torch_model()
torch_default = {name: std(getattr(model, name).weight.detach()) for name in LAYERS}
torch_report = xt.init_model(model)
torch_ours = {name: std(getattr(model, name).weight.detach()) for name in LAYERS}

# Keras: the same.
keras.utils.set_random_seed(0)
cnn = keras_model()
keras_default = {name: std(cnn.get_layer(name).kernel) for name in LAYERS}
keras_report = xk.init_model(cnn, seed=0)
keras_ours = {name: std(cnn.get_layer(name).kernel) for name in LAYERS}

# Flax: model.init gives the defaults; init_params redraws every kernel with its layer's fans.
flax_model, image = FlaxCNN(), jax.numpy.zeros((1, 28, 28, 1))
variables = flax_model.init(jax.random.key(0), image)
flax_default = {name: std(variables["params"][name]["kernel"]) for name in LAYERS}
variables, flax_report = xj.init_params(variables, jax.random.key(1), model=flax_model,
                                        args=(image,))
flax_ours = {name: std(variables["params"][name]["kernel"]) for name in LAYERS}

rows, default_rows = [], []
for name in LAYERS:
    records = (torch_report[f"{name}.weight"], keras_report[f"cnn/{name}/kernel"],
               flax_report[f"{name}/kernel"])
    assert len({(r.fans, r.distribution) for r in records}) == 1, f"{name}: frameworks disagree"
    glorot = records[0].distribution.std
    rows.append((name, str(records[0].shape), str(tuple(records[0].fans)), f"{glorot:.4f}",
                 *(f"{ours[name]:.4f}" for ours in (torch_ours, keras_ours, flax_ours))))
    default_rows.append((name, f"{glorot:.4f}", *(
        f"{default[name]:.4f} (x{default[name] / glorot:.2f})"
        for default in (torch_default, keras_default, flax_default))))

print("Glorot uniform with xavier-init: the spec's std, and the std measured in each framework")
print(xc.render_table(("layer", "torch shape", "fans (in, out)", "spec std", "torch", "keras",
                       "flax"), rows))
print("\nWhat each framework's DEFAULT init gives the same layers instead (measured std, and its"
      " ratio to Glorot's)")
print(xc.render_table(("layer", "Glorot std", "torch: kaiming_uniform(a=sqrt 5)",
                       "keras: glorot_uniform", "flax: lecun_normal"), default_rows))
