"""The seed's MNIST model in PyTorch, Glorot-initialized by ``xavier_adapters.torch.init_model``.

784-128-64-10, ReLU, softmax cross-entropy, Adam (lr 1e-3), batch 32, pixels / 255, shuffled
each epoch; Glorot-uniform weights with each layer's own fans, zero biases (``init_model``'s
defaults), exactly as the Keras seed program starts.

    XAVIER_MNIST_DIR=../shared/mnist python examples/mnist_torch.py [--epochs 10]
"""

import argparse

import torch
from torch import nn

from xavier_adapters import torch as xt
from xavier_conformance.mnist import load_mnist

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)

mnist = load_mnist()
x_train = torch.from_numpy(mnist.train_images).flatten(1).float() / 255
y_train = torch.from_numpy(mnist.train_labels).long()
x_test = torch.from_numpy(mnist.test_images).flatten(1).float() / 255
y_test = torch.from_numpy(mnist.test_labels).long()

model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                      nn.Linear(64, 10))
print(xt.init_model(model))  # weights U(-a, a), a = sqrt(6 / (fan_in + fan_out)); biases 0
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(1, args.epochs + 1):
    model.train()
    for batch in torch.randperm(len(x_train)).split(32):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        test_accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch}: test accuracy {test_accuracy:.4f}")
print(f"test accuracy: {test_accuracy:.4f} (the Keras seed: 0.9764 after 10 epochs)")
