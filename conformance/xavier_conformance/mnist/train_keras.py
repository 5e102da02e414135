"""The seed's MNIST program in Keras 3, with :class:`xavier_adapters.keras.GlorotUniform` kernels.

The backend is whatever ``KERAS_BACKEND`` names when this module is first imported (tensorflow,
jax or torch); the stage runs one process per backend. The model, loss and optimizer are the
seed's; the only change is that each epoch is one ``fit`` call on the shared epoch order
(``shuffle=False``) instead of ``fit(shuffle=True)``, so every backend sees the same batches.
"""

from __future__ import annotations

from xavier_adapters._require import require
from xavier_conformance.mnist.progress import Progress
from xavier_conformance.mnist.recipe import Arrays, Recipe, accuracy, epoch_order, layer_seeds

keras = require("keras", "keras")
from xavier_adapters import keras as xk  # noqa: E402  (after the framework's install check)

EVAL_BATCH = 1000


def build_model(recipe: Recipe, seed: int) -> keras.Sequential:
    """The seed's model and compile call, with one seeded GlorotUniform per kernel."""
    shapes = recipe.dense_shapes
    seeds = layer_seeds(seed, len(shapes))
    activations = ["relu"] * (len(shapes) - 1) + ["softmax"]
    model = keras.Sequential([keras.Input((recipe.layer_sizes[0],))] + [
        keras.layers.Dense(n_out, activation=activation, bias_initializer="zeros",
                           kernel_initializer=xk.GlorotUniform(seed=layer_seed))
        for (_, n_out), activation, layer_seed in zip(shapes, activations, seeds, strict=True)
    ])
    optimizer = keras.optimizers.Adam(learning_rate=recipe.learning_rate, beta_1=recipe.beta_1,
                                      beta_2=recipe.beta_2, epsilon=recipe.epsilon)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class StepProgress(keras.callbacks.Callback):
    """Advances a progress bar by one step per training batch."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.progress.update(1)


def train(arrays: Arrays, recipe: Recipe, seed: int, progress: Progress) -> list[float]:
    """Train for ``recipe.epochs``; return the test accuracy after each epoch."""
    keras.utils.set_random_seed(seed)
    model = build_model(recipe, seed)
    callbacks = [] if progress.disable else [StepProgress(progress)]
    curve = []
    for epoch in range(recipe.epochs):
        order = epoch_order(seed, epoch, len(arrays.x_train))
        model.fit(arrays.x_train[order], arrays.y_train[order], batch_size=recipe.batch_size,
                  epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        probabilities = model.predict(arrays.x_test, batch_size=EVAL_BATCH, verbose=0)
        curve.append(accuracy(probabilities.argmax(axis=1), arrays.y_test))
        progress.set_postfix_str(f"test {curve[-1]:.2%}")
    return curve


def versions() -> dict[str, str]:
    """The framework versions this harness ran with, the Keras backend's included."""
    backend = keras.backend.backend()
    module = require(backend, "all")
    return {"keras": keras.__version__, "keras_backend": backend, backend: module.__version__}
