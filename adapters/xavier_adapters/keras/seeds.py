"""Seeds for Keras' random ops: what an initializer may be given, and the seed of each draw.

Keras' random ops take an int seed (stateless: the same values every time) or a
``keras.random.SeedGenerator`` (advances on every draw). Keras' own initializers turn ``seed=None``
into one random int at construction, so an unseeded instance shared by two layers gives them
identical kernels. Here ``None`` means a fresh int seed per draw, taken from a private
``random.Random`` that is itself seeded from Python's global ``random`` at construction: distinct
kernels, yet reproducible after ``keras.utils.set_random_seed``.
"""

from __future__ import annotations

import numbers
import random
from typing import Any

import xavier_core as xc
from xavier_adapters._require import require

keras = require("keras", "keras")

Seed = int | keras.random.SeedGenerator | xc.PortableKey | None
"""What an initializer or ``init_model`` accepts as ``seed``."""
DrawSeed = int | keras.random.SeedGenerator
"""What one call of a Keras random op is given."""

_SEED_RANGE = (1, 2**31)
"""Int seeds drawn here lie in [1, 2**31): valid for every backend's seed dtype."""


def check_seed(seed: object) -> Seed:
    """``seed`` if it is an int, a SeedGenerator or None; a serialized SeedGenerator (a dict, as
    ``get_config`` writes it) is rebuilt.

    Raises:
      XavierError: anything else (bool and float included).
    """
    if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
        seed = keras.saving.deserialize_keras_object(seed)
    if isinstance(seed, dict) and set(seed) == {"portable_key"}:
        seed = xc.PortableKey.from_words(*seed["portable_key"])
    if seed is None or isinstance(seed, (keras.random.SeedGenerator, xc.PortableKey)):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= seed < 2**32:  # the JAX backend's seeds are uint32; one range everywhere
            raise xc.errors.bad_argument("seed", seed, "an int in [0, 2**32), a "
                                         "keras.random.SeedGenerator or None")
        return int(seed)
    raise xc.errors.bad_argument("seed", seed, "an int, a keras.random.SeedGenerator or None")


def seed_config(seed: Seed) -> Any:
    """``seed`` as JSON-ready config: an int, None, or a serialized SeedGenerator."""
    if isinstance(seed, keras.random.SeedGenerator):
        return keras.saving.serialize_keras_object(seed)
    if isinstance(seed, xc.PortableKey):
        return {"portable_key": list(seed.words)}
    return seed


class SeedStream:
    """The seed of each successive draw.

    From a SeedGenerator: the generator itself, every time (it advances on each draw). From an int
    or None: ints from ``random.Random(seed)``, seeded from Python's global ``random`` when None.

    Example:
      >>> stream = SeedStream(0)
      >>> first, second = stream.next(), stream.next()
      >>> first != second and first == SeedStream(0).next()
      True
    """

    def __init__(self, seed: Seed) -> None:
        seed = check_seed(seed)
        self._generator: keras.random.SeedGenerator | None = None
        self._ints: random.Random | None = None
        if isinstance(seed, keras.random.SeedGenerator):
            self._generator = seed
        elif isinstance(seed, xc.PortableKey):  # drawn from the key itself, not from here
            self._ints = random.Random(0)
        else:
            self._ints = random.Random(random.randrange(*_SEED_RANGE) if seed is None else seed)

    def next(self) -> DrawSeed:
        """The seed for the next draw."""
        if self._ints is None:
            return self._generator
        return self._ints.randrange(*_SEED_RANGE)
