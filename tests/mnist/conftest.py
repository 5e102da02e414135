"""Fixtures for the MNIST tests: the real files, and tampered copies of them in tmp_path."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from xavier_conformance.mnist import ENV_VAR, FILES

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The verified files: $XAVIER_MNIST_DIR, else ../shared/mnist beside the checkout."""
    directory = Path(os.environ.get(ENV_VAR) or CHECKOUT.parent / "shared" / "mnist")
    missing = [f.name for f in FILES.values() if not (directory / f.name).is_file()]
    if missing:
        pytest.fail(f"the MNIST tests need the four files; missing {missing} in {directory}; "
                    f"set {ENV_VAR}")
    return directory


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No XAVIER_MNIST_DIR, and a user cache inside tmp_path (returned: the cache's base)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache"


@pytest.fixture
def copy_of(mnist_dir: Path, tmp_path: Path) -> Callable[..., Path]:
    """``copy_of(name=tamper)``: a directory with the four files, the named ones tampered.

    ``tamper(data) -> bytes`` receives the file's uncompressed bytes (re-gzipped afterwards);
    ``raw_tamper(data) -> bytes`` receives the .gz bytes themselves.
    """

    def make(subdir: str = "copy", tamper: dict[str, Callable[[bytes], bytes]] | None = None,
             raw_tamper: dict[str, Callable[[bytes], bytes]] | None = None) -> Path:
        target = tmp_path / subdir
        target.mkdir()
        for file in FILES.values():
            source, destination = mnist_dir / file.name, target / file.name
            if tamper and file.name in tamper:
                with gzip.open(source, "rb") as stream:
                    data = tamper[file.name](stream.read())
                destination.write_bytes(gzip.compress(data, compresslevel=1))
            elif raw_tamper and file.name in raw_tamper:
                destination.write_bytes(raw_tamper[file.name](source.read_bytes()))
            else:
                shutil.copyfile(source, destination)
        return target

    return make
