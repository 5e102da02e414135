"""Up-front checks of the command-line arguments of ``xavier-conformance`` and
``python -m xavier_conformance.mnist``: every argument is refused before any work starts, so a
finished run never ends in a traceback over a bad path, and a bad seed or device is one clear
message instead of a failure per test case.

Each check raises :class:`xavier_core.XavierError` naming the option, echoing its value and
saying what is allowed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from xavier_core.errors import XavierError, bad_argument

SEED_LIMIT = 2**32
"""Seeds are integers in [0, 2**32): what every backend's generator accepts (Keras on JAX
refuses negative seeds and seeds of 2**64 and above)."""
SUITE_MODULES: tuple[str, ...] = ("pytest", "scipy", "ml_dtypes")
"""What the statistical suite imports beyond the frameworks: the ``conformance`` extra."""
SUITE_HINT = "pip install 'xavier-init[conformance]'"
DEVICE = re.compile(r"(cpu|cuda|gpu)(:\d+)?")
PROBE_SECONDS = 180

_PROBES: Mapping[str, str] = {
    "torch": "import sys, torch; torch.empty(1, device=sys.argv[1].replace('gpu', 'cuda'))",
    "jax": ("import sys, jax; p, _, i = sys.argv[1].replace('cuda', 'gpu').partition(':'); "
            "jax.devices(p)[int(i or 0)]"),
    "tensorflow": ("import sys, tensorflow as tf; p, _, i = sys.argv[1].replace('cuda', 'gpu')"
                   ".partition(':'); assert len(tf.config.list_physical_devices(p.upper())) > "
                   "int(i or 0), 'no such device'"),
}
"""Per framework: a program that exits 0 only when the device named by argv[1] is usable."""


def check_seed(seed: object, name: str = "--seed") -> int:
    """``seed`` as an int in [0, 2**32), or a XavierError naming ``name``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise bad_argument(name, seed, "an integer in [0, 2**32)")
    return seed


def check_suite_installed() -> None:
    """The statistical suite's own dependencies, or a XavierError with the pip command."""
    missing = [m for m in SUITE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise XavierError(f"the conformance suite needs {', '.join(missing)}, which "
                          f"{'is' if len(missing) == 1 else 'are'} not installed; {SUITE_HINT}")


def check_writable_file(path: Path | str | None, name: str) -> None:
    """``path`` (if given) can be written as a file: not a directory, in an existing,
    writable directory. Nothing is created."""
    if path is None:
        return
    target = Path(path)
    allowed = "a file path in an existing, writable directory"
    if target.is_dir():
        raise bad_argument(name, str(path), allowed, "it is a directory")
    if target.exists() and not os.access(target, os.W_OK):
        raise bad_argument(name, str(path), allowed, "the file is not writable")
    parent = target.parent
    if not parent.is_dir():
        raise bad_argument(name, str(path), allowed, f"{parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise bad_argument(name, str(path), allowed, f"{parent} is not writable")


def check_writable_dir(path: Path | str | None, name: str) -> None:
    """``path`` (if given) is a writable directory or can be created as one. Nothing is
    created."""
    if path is None:
        return
    allowed = "a writable directory (created if missing)"
    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise bad_argument(name, str(path), allowed, f"{existing} is a dangling symlink")
        existing = existing.parent
    if not existing.is_dir():
        raise bad_argument(name, str(path), allowed, f"{existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise bad_argument(name, str(path), allowed, f"{existing} is not writable")


def check_devices(devices: Sequence[str], frameworks: Sequence[str],
                  env: Mapping[str, str] | None = None) -> None:
    """Every device is ``cpu``, ``cuda``/``gpu`` or one of those with ``:N``, and every non-CPU
    one is usable by each of ``frameworks`` (probed in a subprocess, so this process imports
    no framework); numpy draws on the CPU only."""
    allowed = "comma-separated from cpu, cuda, gpu (optionally with :N, e.g. cuda:1)"
    if not devices:
        raise bad_argument("--devices", ",".join(devices), allowed)
    for device in devices:
        if not DEVICE.fullmatch(device):
            raise bad_argument("--devices", ",".join(devices), allowed,
                               f"{device!r} is not a known device")
    for device in (d for d in devices if d != "cpu"):
        for framework in frameworks:
            if framework == "numpy":
                raise bad_argument("--devices", ",".join(devices), allowed,
                                   "the numpy backend draws on the CPU only; leave numpy out "
                                   "of --backends")
            done = subprocess.run([sys.executable, "-c", _PROBES[framework], device],
                                  capture_output=True, text=True, timeout=PROBE_SECONDS,
                                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                                       **(env or {})}, stdin=subprocess.DEVNULL)
            if done.returncode:
                last = (done.stderr.strip().splitlines() or ["it exited with an error"])[-1]
                raise bad_argument("--devices", ",".join(devices), allowed,
                                   f"{framework} cannot use {device!r} on this machine ({last})")
