"""The torch probe reports what autograd itself computes, layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import xavier_core as xc  # noqa: E402
from xavier_adapters.probes import torch as probe_torch  # noqa: E402

nn = torch.nn


def _batch(size: int = 16, features: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(size, features, generator=generator)
    return inputs, torch.randint(0, 3, (size,), generator=generator)


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 6), nn.Sigmoid(),
                         nn.Linear(6, 3))


def test_records_equal_autograd_of_each_layer_output() -> None:
    model, (inputs, targets) = _mlp(), _batch()
    report = probe_torch.probe(model, inputs, targets)
    outputs = {}
    hooks = [model[i].register_forward_hook(lambda m, a, out, i=i: outputs.__setitem__(i, out))
             for i in range(len(model))]
    loss = nn.functional.cross_entropy(model(inputs), targets)
    for hook in hooks:
        hook.remove()
    weights = [model[i].weight for i in (0, 2, 4)]
    grads = torch.autograd.grad(loss, [outputs[0], outputs[2], outputs[4], *weights])
    for index, (layer, activation) in enumerate(((0, 1), (2, 3), (4, 4))):
        record = report[str(layer)]
        h = outputs[activation].detach().double()
        assert record.activation_mean == pytest.approx(float(h.mean()), rel=1e-6, abs=1e-9)
        assert record.activation_std == pytest.approx(float(h.std(unbiased=False)), rel=1e-6)
        assert record.backprop_variance == pytest.approx(
            float(grads[index].double().var(unbiased=False)), rel=1e-6)
        assert record.weight_gradient_variance == pytest.approx(
            float(grads[3 + index].double().var(unbiased=False)), rel=1e-6)


def test_each_weight_layer_gets_the_activation_module_after_it() -> None:
    model = nn.Sequential(nn.Linear(12, 8), nn.Dropout(0.5), nn.Tanh(), nn.Linear(8, 6),
                          nn.Softsign(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 3)).eval()
    report = probe_torch.probe(model, *_batch())
    got = [(r.name, r.layer, r.activation) for r in report]
    expected = [("0", "Linear", "tanh"), ("3", "Linear", "softsign"), ("5", "Linear", "relu"),
                ("7", "Linear", "none")]
    assert got == expected, f"got {got}, but should be {expected}"
    assert report["5"].saturated_fraction is None
    assert report["0"].saturated_fraction is not None


class FunctionalTanh(nn.Module):
    """A user-style model whose nonlinearity is a function call the probe cannot see."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(12, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.hidden(x)))


def test_an_invisible_nonlinearity_leaves_the_layer_output_described() -> None:
    model, (inputs, targets) = FunctionalTanh(), _batch()
    report = probe_torch.probe(model, inputs, targets)
    pre_activation = model.hidden(inputs).detach().double()
    assert report["hidden"].activation == "none"
    assert report["hidden"].activation_std == pytest.approx(
        float(pre_activation.std(unbiased=False)), rel=1e-6)


def test_convolutions_are_weight_layers() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    inputs = torch.randn(5, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    report = probe_torch.probe(model, inputs, torch.tensor([0, 1, 2, 0, 1]))
    assert [(r.layer, r.shape) for r in report] == [("Conv2d", (4, 1, 3, 3)),
                                                    ("Linear", (3, 144))]


def test_parameter_grads_are_left_untouched() -> None:
    model = _mlp()
    probe_torch.probe(model, *_batch())
    touched = [name for name, p in model.named_parameters() if p.grad is not None]
    assert touched == [], f"got .grad set on {touched}, but should be none"


def test_a_layer_called_twice_is_reported_once() -> None:
    shared = nn.Linear(12, 12)
    model = nn.Sequential(shared, nn.Tanh(), shared, nn.Tanh(), nn.Linear(12, 3))
    report = probe_torch.probe(model, *_batch())
    assert [r.name for r in report] == ["0", "4"]


def test_custom_loss_is_used() -> None:
    model, (inputs, _) = _mlp(), _batch()
    targets = torch.zeros(16, 3)
    report = probe_torch.probe(model, inputs, targets, loss=nn.functional.mse_loss)
    output = model(inputs)
    expected = 2.0 * (output - targets) / output.numel()
    assert report["4"].backprop_variance == pytest.approx(
        float(expected.detach().double().var(unbiased=False)), rel=1e-5)


def test_samples_are_capped_by_max_values() -> None:
    report = probe_torch.probe(_mlp(), *_batch(), max_values=10)
    assert {r.activation_sample.size for r in report} == {10}
    assert {r.backprop_sample.size for r in report} == {10}


def test_a_model_without_weight_layers_is_refused() -> None:
    with pytest.raises(xc.XavierError, match=r"no weight layer .* model=Sequential"):
        probe_torch.probe(nn.Sequential(nn.Tanh()), *_batch())


def test_a_non_scalar_loss_is_refused() -> None:
    def per_example(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, targets, reduction="none")

    with pytest.raises(xc.XavierError, match=r"loss must return a scalar, got .* \(16,\)"):
        probe_torch.probe(_mlp(), *_batch(), loss=per_example)


def test_bfloat16_models_are_probed() -> None:
    model = _mlp().to(torch.bfloat16)
    inputs, targets = _batch()
    report = probe_torch.probe(model, inputs.to(torch.bfloat16), targets)
    assert all(np.isfinite(r.backprop_variance) and r.backprop_variance > 0 for r in report)
