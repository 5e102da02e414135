"""The seed's MNIST model in PyTorch, initialized by :func:`xavier_adapters.torch.init_model`.

``init_model`` draws every ``nn.Linear`` weight (stored (out, in)) from Glorot uniform with the
layer's own fans and zeroes the biases.
"""

from __future__ import annotations

from xavier_adapters._require import require
from xavier_conformance.mnist.progress import Progress
from xavier_conformance.mnist.recipe import Arrays, Recipe, accuracy, epoch_order

torch = require("torch", "torch")
from xavier_adapters import torch as xt  # noqa: E402  (after the framework's install check)

EVAL_BATCH = 1000


def build_model(recipe: Recipe, seed: int) -> torch.nn.Sequential:
    """784-128-64-10 with ReLU between layers, Glorot-uniform weights, zero biases."""
    layers: list[torch.nn.Module] = []
    for n_in, n_out in recipe.dense_shapes:
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    xt.init_model(model, "uniform", bias="zeros", generator=torch.Generator().manual_seed(seed))
    return model


@torch.no_grad()
def test_accuracy(model: torch.nn.Module, arrays: Arrays) -> float:
    """Fraction of the test set classified correctly."""
    x = torch.from_numpy(arrays.x_test)
    predicted = torch.cat([model(batch).argmax(dim=1) for batch in x.split(EVAL_BATCH)])
    return accuracy(predicted.numpy(), arrays.y_test)


def train(arrays: Arrays, recipe: Recipe, seed: int, progress: Progress) -> list[float]:
    """Train for ``recipe.epochs``; return the test accuracy after each epoch."""
    torch.manual_seed(seed)
    model = build_model(recipe, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate,
                                 betas=(recipe.beta_1, recipe.beta_2), eps=recipe.epsilon)
    x_train = torch.from_numpy(arrays.x_train)
    y_train = torch.from_numpy(arrays.y_train).long()
    curve = []
    for epoch in range(recipe.epochs):
        order = torch.from_numpy(epoch_order(seed, epoch, len(x_train)))
        model.train()
        for x, y in zip(x_train[order].split(recipe.batch_size),
                        y_train[order].split(recipe.batch_size), strict=True):
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            progress.update(1)
        model.eval()
        curve.append(test_accuracy(model, arrays))
        progress.set_postfix_str(f"test {curve[-1]:.2%}")
    return curve


def versions() -> dict[str, str]:
    """The framework versions this harness ran with."""
    return {"torch": torch.__version__}
