"""The seed program: a Keras MLP on MNIST, with only its kernel initializer changed.

784-128-64-10, ReLU, softmax, Adam (lr 1e-3), batch 32, 10 epochs, pixels / 255. The seed wrote
``kernel_initializer="glorot_uniform"``; here it is this project's ``GlorotUniform``, which draws
the same distribution on every Keras backend (tensorflow, jax, torch: set KERAS_BACKEND).
The seed reports 97.64% test accuracy after 10 epochs.

    XAVIER_MNIST_DIR=../shared/mnist python examples/mnist_keras_seed.py [--epochs 10]
"""

import argparse

import keras
from keras import layers

from xavier_adapters import keras as xk
from xavier_conformance.mnist import load_mnist

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
keras.utils.set_random_seed(args.seed)

mnist = load_mnist()  # the four IDX files, SHA-256 verified; $XAVIER_MNIST_DIR or the cache
x_train, y_train = mnist.train_images / 255.0, mnist.train_labels
x_test, y_test = mnist.test_images / 255.0, mnist.test_labels

model = keras.Sequential([
    keras.Input((28, 28)),
    layers.Flatten(),
    layers.Dense(128, activation="relu", kernel_initializer=xk.GlorotUniform()),
    layers.Dense(64, activation="relu", kernel_initializer=xk.GlorotUniform()),
    layers.Dense(10, activation="softmax", kernel_initializer=xk.GlorotUniform()),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_data=(x_test, y_test),
          verbose=2)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {test_accuracy:.4f} (the seed: 0.9764 after 10 epochs)")
