"""Downloading into the cache, without a network: file:// mirrors and injected openers.

A good mirror fills the cache; a bad mirror (missing file, corrupt or truncated copy, a dropped
connection) leaves nothing behind, neither the file nor its temporary copy, and the next mirror
is tried; when all fail the error says how to use MNIST offline.
"""

from __future__ import annotations

import io
import urllib.error
from collections.abc import Callable
from pathlib import Path

import pytest

from xavier_conformance.mnist import ENV_VAR, FILES, cache_dir, load_mnist
from xavier_conformance.mnist.download import download_verified, open_url
from xavier_core import XavierError

LABELS = FILES["test_labels"].name


def _mirror(directory: Path) -> str:
    return directory.as_uri() + "/"


def _cache_listing() -> list[str]:
    """Every file in the cache, hidden temporaries included."""
    cache = cache_dir()
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_good_mirror_fills_the_cache(clean_env: Path, mnist_dir: Path) -> None:
    data = load_mnist(mirrors=[_mirror(mnist_dir)])
    assert data.directory == cache_dir()
    expected = sorted(f.name for f in FILES.values())
    assert _cache_listing() == expected, f"got {_cache_listing()}, but should be {expected}"
    assert data.test_labels[:3].tolist() == [7, 2, 1]


def test_second_mirror_is_used_when_the_first_lacks_the_files(clean_env: Path, mnist_dir: Path,
                                                              tmp_path: Path) -> None:
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    data = load_mnist(mirrors=[_mirror(empty), _mirror(mnist_dir)])
    assert data.train_labels[:3].tolist() == [5, 0, 4]


@pytest.mark.parametrize("tamper", ["wrong-sha256", "truncated"])
def test_bad_mirror_leaves_nothing_and_the_next_one_is_used(
        tamper: str, clean_env: Path, mnist_dir: Path, copy_of: Callable[..., Path]) -> None:
    bad = copy_of("bad-mirror", **{
        "wrong-sha256": {"tamper": {LABELS: lambda d: d[:8] + bytes([9 - d[8]]) + d[9:]}},
        "truncated": {"raw_tamper": {LABELS: lambda gz: gz[:-40]}},
    }[tamper])
    with pytest.raises(XavierError, match=f"could not download {LABELS}"):
        load_mnist(mirrors=[_mirror(bad)])
    assert LABELS not in _cache_listing()
    assert not [n for n in _cache_listing() if n.endswith(".part")], f"got {_cache_listing()}"
    load_mnist(mirrors=[_mirror(bad), _mirror(mnist_dir)])
    assert LABELS in _cache_listing()


def _offline(url: str) -> io.BytesIO:
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def test_offline_without_data_says_what_to_do(clean_env: Path) -> None:
    with pytest.raises(XavierError) as caught:
        load_mnist(opener=_offline)
    message = str(caught.value)
    for expected in ("could not download train-images-idx3-ubyte.gz",
                     "ossci-datasets.s3.amazonaws.com", "Temporary failure in name resolution",
                     f"set {ENV_VAR}", "data_dir="):
        assert expected in message, f"got {message!r}, but should contain {expected!r}"
    assert _cache_listing() == [], f"got {_cache_listing()}, but should be an empty cache"


class _DroppedConnection(io.BytesIO):
    """Serves the first half of a file, then fails as a reset connection does."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= len(self.getbuffer()) // 2:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size if size and size > 0 else 1 << 16, 1 << 16))


def test_dropped_connection_leaves_nothing(clean_env: Path, mnist_dir: Path) -> None:
    def opener(url: str) -> io.BytesIO:
        return _DroppedConnection((mnist_dir / url.rsplit("/", 1)[1]).read_bytes())

    with pytest.raises(XavierError, match="connection reset by peer"):
        load_mnist(opener=opener)
    assert _cache_listing() == [], f"got {_cache_listing()}, but should be an empty cache"


def test_download_false_with_empty_cache_says_what_to_do(clean_env: Path) -> None:
    with pytest.raises(XavierError, match=f"download=False; put the four files .* set {ENV_VAR}"):
        load_mnist(download=False)


def test_failed_check_removes_the_temporary_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.gz"
    target.write_bytes(b"old")
    source = tmp_path / "source.gz"
    source.write_bytes(b"new")

    def reject(path: Path) -> None:
        assert path.read_bytes() == b"new", "the check should see the downloaded bytes"
        raise XavierError("rejected")

    with pytest.raises(XavierError, match="rejected"):
        download_verified(source.as_uri(), target, reject, open_url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.gz", "source.gz"]
    assert target.read_bytes() == b"old"
