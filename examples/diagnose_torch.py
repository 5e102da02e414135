"""Look inside a deep tanh network at initialization, before and after Glorot init.

A user-style model (a tanh MLP, 5 hidden layers of 1000 units, as in Glorot & Bengio 2010) is
probed on one MNIST batch: one forward and one backward pass, and a table per weight layer.
PyTorch's own default for ``nn.Linear`` is the paper's "standard" init U(+-1/sqrt(fan_in)); the
same model after ``xavier_adapters.torch.init_model`` draws U(+-sqrt(6 / (fan_in + fan_out))).

    XAVIER_MNIST_DIR=../shared/mnist python examples/diagnose_torch.py [--figures reports/]

What to look for in the tables:

- ``Var[dC/ds]``, the variance of the gradient arriving at each layer's pre-activation. It should
  stay level from the first to the last hidden layer. With the default init it shrinks about 3x
  per layer on the way down (n Var[W] = 1/3), so the first layer learns ~100x slower than the
  last: the ratio printed below the table is ~0.01. With Glorot's init it is ~0.6 (the tanh
  slope, below 1, still takes its toll).
- ``act std``: the spread of each layer's activations. Shrinking toward 0 layer after layer
  means the signal fades on its way up (the default init); level means it carries through.
- ``saturated``: the share of tanh units within 1% of +-1, where the slope is ~0 and no gradient
  passes. Near 0% at a good initialization; it grows when weights are too large.
- ``Var[dC/dW]``: the weight gradients. Level across layers in both cases here (the paper's
  observation): the per-layer story is in Var[dC/ds].
"""

import argparse

import torch
from torch import nn

from xavier_adapters import torch as xt
from xavier_adapters.probes import torch as probe_torch
from xavier_conformance.mnist import load_mnist


class TanhClassifier(nn.Module):
    """784 -> 5 x (Linear 1000, Tanh) -> 10 logits."""

    def __init__(self, hidden_layers: int = 5, width: int = 1000) -> None:
        super().__init__()
        blocks = []
        for index in range(hidden_layers):
            blocks += [nn.Linear(784 if index == 0 else width, width), nn.Tanh()]
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, 10)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images.flatten(1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000, help="MNIST examples probed")
    parser.add_argument("--figures", help="also save PNG histograms and variances here")
    args = parser.parse_args()
    torch.manual_seed(0)

    mnist = load_mnist()
    images = torch.tensor(mnist.train_images[: args.batch], dtype=torch.float32) / 255
    labels = torch.tensor(mnist.train_labels[: args.batch], dtype=torch.long)

    model = TanhClassifier()
    reports = {"PyTorch default (standard init)": probe_torch.probe(model, images, labels)}
    xt.init_model(model)  # Glorot uniform weights, zero biases, each layer's own fans
    reports["Glorot init"] = probe_torch.probe(model, images, labels)

    for title, report in reports.items():
        print(f"\n{title}\n{report}")
        print(f"Var[dC/ds] first / last hidden layer: {report.backprop_variance_ratio():.3g}")

    if args.figures:
        from xavier_conformance.experiment import figures

        for quantity in ("activations", "backprop"):
            path = figures.save_histograms(reports, quantity, f"{args.figures}/{quantity}.png")
            print(f"saved {path}")
        path = figures.save_variances({"tanh MLP": {k: [v] for k, v in reports.items()}},
                                      f"{args.figures}/variances.png")
        print(f"saved {path}")


if __name__ == "__main__":
    main()
