"""Independent random streams for the shards of one weight.

A sharded weight drawn with a framework's own generator (not portable mode) cannot equal the
unsharded draw, but its shards must still be independent: two shards seeded alike would hold the
same values, and the weight would have ``world_size`` times fewer distinct values than it claims.
:func:`shard_seed` gives each shard its own seed from one base seed every rank draws alike and
the shard's position in the global weight, so replicas of one shard agree and distinct shards
differ.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from xavier_core.errors import bad_argument


def shard_seed(base: int, start: Sequence[int]) -> int:
    """A 63-bit seed for the shard that starts at global index ``start`` of a weight.

    The mixing is numpy's ``SeedSequence`` over ``(base, *start)``: distinct starts give
    unrelated seeds, the same ``(base, start)`` always the same one.

    Args:
      base: a non-negative integer every rank drew alike (from generators seeded alike).
      start: the shard's first global index on each axis (non-negative integers).

    Raises:
      XavierError: a negative or non-integer ``base`` or entry of ``start``.

    Example:
      >>> shard_seed(7, (0, 0)) != shard_seed(7, (64, 0))
      True
    """
    values = [base, *start]
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0
               for v in values):
        raise bad_argument("start", (base, *start),
                           "non-negative integers (base seed, first index per axis)")
    state = np.random.SeedSequence([int(v) for v in values]).generate_state(1, np.uint64)
    return int(state[0]) >> 1
