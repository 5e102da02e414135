"""``xavier-conformance``: check that the installed samplers draw the spec's distribution.

For now it checks the numpy reference adapter; the framework backends join as they land.
"""

from __future__ import annotations

import argparse
import sys

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import stats

CASES = {
    "dense (784, 256)": ((784, 256), xc.CHANNELS_LAST),
    "conv2d (3, 3, 64, 128)": ((3, 3, 64, 128), xc.CHANNELS_LAST),
}
SPECS = {
    "uniform": xc.glorot_uniform(),
    "normal": xc.glorot_normal(),
    "truncated_normal": xc.glorot_truncated_normal(),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xavier-conformance", description=__doc__)
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    args = parser.parse_args(argv)
    rows, failed = [], 0
    for case, (shape, layout) in CASES.items():
        for spec_name, spec in SPECS.items():
            for dtype in ("float32", "float64", "bfloat16"):
                sample = xnp.initialize(spec, shape, layout=layout, dtype=dtype, rng=args.seed)
                distribution = spec.resolve(shape, layout).distribution
                for result in stats.check_sample(sample, distribution):
                    failed += not result.passed
                    rows.append(("numpy", case, spec_name, dtype, result.name,
                                 f"{result.statistic:.4g}", f"{result.p_value:.3g}",
                                 "pass" if result.passed else "FAIL"))
    header = ("backend", "layout", "distribution", "dtype", "check", "statistic", "p", "verdict")
    print(xc.render_table(header, rows))
    print(f"\n{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
