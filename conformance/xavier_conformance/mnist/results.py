"""What the MNIST stage measured, the criteria it is judged by, and their JSON form."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from xavier_conformance.mnist.recipe import SEED_CURVE


@dataclass(frozen=True)
class Tier:
    """How long the stage trains and what it must reach.

    Every backend's mean final test accuracy (over seeds) must lie in ``band``, and the largest
    difference between two backends' means must be at most ``max_spread``.
    """

    name: str
    epochs: int
    seeds: tuple[int, ...]
    band: tuple[float, float]
    max_spread: float


TIERS: dict[str, Tier] = {
    "quick": Tier("quick", epochs=1, seeds=(0,), band=(0.955, 1.0), max_spread=0.010),
    "full": Tier("full", epochs=10, seeds=(0, 1, 2, 3, 4), band=(0.972, 0.984),
                 max_spread=0.005),
}
"""quick: 1 epoch, 1 seed, >= 95.5% and spread <= 1 point; full: 10 epochs, 5 seeds,
mean in [97.2%, 98.4%] and spread <= 0.5 point. Five seeds, not three: the run-to-run std of
one backend's final accuracy is about 0.17 points, so with three seeds a correct run would
break the 0.5-point spread about 2-3 % of the time; with five, about 0.1 %."""


@dataclass(frozen=True)
class Run:
    """One training run: its seed, the test accuracy after each epoch, and its training time."""

    seed: int
    test_accuracy: tuple[float, ...]
    seconds: float


@dataclass(frozen=True)
class BackendResult:
    """A backend's runs (or the error that stopped it) and its process's wall time."""

    backend: str
    runs: tuple[Run, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    wall_seconds: float = 0.0

    @property
    def finals(self) -> list[float]:
        """Each run's final test accuracy."""
        return [run.test_accuracy[-1] for run in self.runs]

    @property
    def mean_final(self) -> float:
        return statistics.fmean(self.finals)

    @property
    def std_final(self) -> float:
        """Sample standard deviation of the final accuracies (0 for a single run)."""
        return statistics.stdev(self.finals) if len(self.runs) > 1 else 0.0

    @property
    def mean_curve(self) -> list[float]:
        """Test accuracy after each epoch, averaged over the runs."""
        return [statistics.fmean(epoch) for epoch in zip(*(r.test_accuracy for r in self.runs),
                                                         strict=True)]

    @classmethod
    def from_json(cls, record: dict[str, Any], wall_seconds: float = 0.0) -> BackendResult:
        runs = tuple(Run(r["seed"], tuple(r["test_accuracy"]), r["seconds"])
                     for r in record.get("runs", ()))
        return cls(record["backend"], runs, dict(record.get("versions", {})),
                   record.get("error"), record.get("wall_seconds", wall_seconds))


@dataclass(frozen=True)
class StageResult:
    """The whole stage: tier, seeds, one result per backend, wall time and machine."""

    tier: Tier
    seeds: tuple[int, ...]
    backends: tuple[BackendResult, ...]
    wall_seconds: float
    machine: dict[str, Any] = field(default_factory=dict)

    def failures(self) -> list[str]:
        """One line per unmet criterion; empty when the stage passed."""
        low, high = self.tier.band
        lines = [f"{b.backend}: {b.error}" for b in self.backends if b.error]
        trained = [b for b in self.backends if not b.error]
        lines += [f"{b.backend}: mean final test accuracy {b.mean_final:.2%} over "
                  f"{len(b.runs)} run(s), but should be in [{low:.2%}, {high:.2%}]"
                  for b in trained if not low <= b.mean_final <= high]
        if len(trained) > 1:
            worst, best = min(trained, key=_mean), max(trained, key=_mean)
            spread = best.mean_final - worst.mean_final
            if spread > self.tier.max_spread:
                lines.append(f"spread between backends: {spread * 100:.2f} points ({best.backend} "
                             f"{best.mean_final:.2%}, {worst.backend} {worst.mean_final:.2%}), "
                             f"but should be at most {self.tier.max_spread * 100:.2f}")
        return lines

    @property
    def spread(self) -> float:
        """Largest difference between two trained backends' mean final accuracies."""
        means = [b.mean_final for b in self.backends if not b.error]
        return max(means) - min(means) if means else 0.0

    @property
    def passed(self) -> bool:
        return not self.failures()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict: the inputs, every run, the summary and the verdict."""
        return {
            "tier": asdict(self.tier),
            "seeds": list(self.seeds),
            "backends": [_backend_json(b) for b in self.backends],
            "spread": self.spread,
            "reference": {"program": "the seed's Keras MLP (DESIGN.md section 5)",
                          "test_accuracy": list(SEED_CURVE)},
            "wall_seconds": self.wall_seconds,
            "machine": self.machine,
            "passed": self.passed,
            "failures": self.failures(),
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> StageResult:
        tier = record["tier"]
        return cls(Tier(tier["name"], tier["epochs"], tuple(tier["seeds"]), tuple(tier["band"]),
                        tier["max_spread"]),
                   tuple(record["seeds"]),
                   tuple(BackendResult.from_json(b) for b in record["backends"]),
                   record["wall_seconds"], record.get("machine", {}))


def _mean(result: BackendResult) -> float:
    return result.mean_final


def _backend_json(result: BackendResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "backend": result.backend,
        "versions": result.versions,
        "wall_seconds": result.wall_seconds,
        "runs": [asdict(run) for run in result.runs],
    }
    if result.error:
        record["error"] = result.error
    else:
        record |= {"mean_final": result.mean_final, "std_final": result.std_final,
                   "mean_curve": result.mean_curve}
    return record
