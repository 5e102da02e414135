"""Helpers shared by the torch adapter tests (imported by name: tests/torch is on sys.path)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import torch

import xavier_core as xc
from xavier_conformance import stats


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A CPU numpy copy that keeps the dtype (bfloat16 through ml_dtypes), for the statistics."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def assert_matches(tensor: torch.Tensor, distribution: xc.Distribution, context: str) -> None:
    """Bounds and reach (bounded laws), mean, variance and Kolmogorov-Smirnov of ``tensor``."""
    for result in stats.check_sample(to_numpy(tensor), distribution):
        assert result.passed, f"{result.describe()} [{context}]"
