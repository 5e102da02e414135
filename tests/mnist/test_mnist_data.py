"""The MNIST loader: the real files load and verify; every kind of bad data is refused clearly.

Bad copies are made in tmp_path from the real files: a changed pixel or label (wrong SHA-256),
a truncated .gz, a wrong IDX magic number or shape, a missing file or directory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from xavier_conformance.mnist import (
    ENV_VAR,
    FILES,
    cache_dir,
    find_mnist,
    load_mnist,
    parse_idx,
    read_idx_gz,
)
from xavier_core import XavierError

TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
LABELS = FILES["test_labels"].name
IMAGES = FILES["test_images"].name


def _refuse_download(url: str) -> None:
    raise AssertionError(f"got a download of {url}, but should have read the files in place")


def test_real_files_load_with_the_published_content(mnist_dir: Path) -> None:
    data = load_mnist(mnist_dir, opener=_refuse_download)
    shapes = [a.shape for a in (data.train_images, data.train_labels, data.test_images,
                                data.test_labels)]
    assert shapes == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)], f"got {shapes}"
    assert data.train_images.dtype == np.uint8 and data.test_labels.dtype == np.uint8
    assert data.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    counts = np.bincount(data.train_labels, minlength=10).tolist()
    assert counts == TRAIN_LABEL_COUNTS, f"got {counts}, but should be {TRAIN_LABEL_COUNTS}"
    assert int(data.train_images.max()) == 255 and int(data.train_images.min()) == 0
    assert data.directory == mnist_dir


def test_arrays_are_read_only(mnist_dir: Path) -> None:
    labels = read_idx_gz(mnist_dir / LABELS, FILES["test_labels"])
    with pytest.raises(ValueError, match="read-only"):
        labels[0] = 3


def test_parse_idx_reads_header_and_values() -> None:
    data = struct.pack(">IIII", 0x803, 2, 2, 3) + bytes(range(12))
    file = FILES["test_images"].__class__("tiny", 0x803, (2, 2, 3), "")
    array = parse_idx(data, file)
    assert array.tolist() == np.arange(12).reshape(2, 2, 3).tolist()


def _set_byte(offset: int, value: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:offset] + bytes([value]) + data[offset + 1:]


def _bump_byte(offset: int) -> Callable[[bytes], bytes]:
    """Change one value: a label to the next digit, a pixel to another shade."""
    return lambda data: _set_byte(offset, (data[offset] + 1) % 10)(data)


BAD_COPIES: dict[str, tuple[dict, str]] = {
    # id: (copy_of keyword arguments, text the error must contain)
    "label-changed-wrong-sha256": (
        {"tamper": {LABELS: _bump_byte(8 + 500)}}, "SHA-256 of its uncompressed bytes is"),
    "pixel-changed-wrong-sha256": (
        {"tamper": {IMAGES: _bump_byte(16 + 9999)}}, "is corrupt"),
    "truncated-gzip": (
        {"raw_tamper": {IMAGES: lambda gz: gz[: len(gz) // 2]}}, "truncated or not gzip"),
    "not-gzip": ({"raw_tamper": {LABELS: lambda gz: b"<html>404</html>"}}, "not gzip"),
    "bad-magic-images": ({"tamper": {IMAGES: _set_byte(3, 0x01)}},
                         "its magic number is 0x00000801, but should be 0x00000803"),
    "bad-magic-labels": ({"tamper": {LABELS: _set_byte(2, 0x0D)}}, "magic number is 0x00000d01"),
    "wrong-count-in-header": ({"tamper": {LABELS: _set_byte(7, 0x0F)}},
                              "has shape (9999,) in its header, but should have (10000,)"),
    "values-truncated": ({"tamper": {LABELS: lambda data: data[:-100]}},
                         "holds 9900 values, but its header says 10000"),
    "empty-file": ({"tamper": {LABELS: lambda data: b""}}, "magic number is missing"),
}


@pytest.mark.parametrize("case", BAD_COPIES)
def test_bad_copy_is_refused_with_a_clear_error(case: str, copy_of: Callable[..., Path]) -> None:
    kwargs, expected = BAD_COPIES[case]
    directory = copy_of(**kwargs)
    with pytest.raises(XavierError) as caught:
        load_mnist(directory, opener=_refuse_download)
    message = str(caught.value)
    assert expected in message, f"got {message!r}, but should contain {expected!r} [{case}]"
    assert "replace it with a good copy" in message, f"got {message!r}, but should say what to do"


def test_sha256_in_message_is_the_real_digest(copy_of: Callable[..., Path]) -> None:
    tamper = _bump_byte(8 + 500)
    directory = copy_of(tamper={LABELS: tamper})
    digest = hashlib.sha256(gzip.decompress((directory / LABELS).read_bytes())).hexdigest()
    with pytest.raises(XavierError, match=digest):
        load_mnist(directory)


def test_missing_directory_names_the_argument(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(XavierError, match=f"data_dir must be a directory holding the four MNIST "
                                          f".gz files, got data_dir='{missing}'; it does not "
                                          "exist"):
        load_mnist(missing)


def test_missing_file_is_named(copy_of: Callable[..., Path]) -> None:
    directory = copy_of()
    (directory / LABELS).unlink()
    with pytest.raises(XavierError, match=f"missing: {LABELS}"):
        load_mnist(directory)


def test_env_var_is_used(mnist_dir: Path, clean_env: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(mnist_dir))
    assert find_mnist(opener=_refuse_download) == mnist_dir


def test_env_var_pointing_nowhere_is_an_error_naming_it(clean_env: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(XavierError, match=f"{ENV_VAR} must be a directory"):
        find_mnist(opener=_refuse_download)


def test_explicit_path_wins_over_env_var(mnist_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone"))
    assert find_mnist(mnist_dir) == mnist_dir


def test_cache_honours_xdg_cache_home(clean_env: Path) -> None:
    assert cache_dir() == clean_env / "xavier-init" / "mnist"


def test_cache_defaults_to_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "xavier-init" / "mnist"


def test_filled_cache_is_used_without_download(clean_env: Path,
                                               copy_of: Callable[..., Path]) -> None:
    directory = copy_of()
    cache = cache_dir()
    cache.parent.mkdir(parents=True)
    os.replace(directory, cache)
    data = load_mnist(opener=_refuse_download)
    assert data.directory == cache and data.test_labels[0] == 7


def test_corrupt_cache_file_says_delete_to_download_again(clean_env: Path,
                                                          copy_of: Callable[..., Path]) -> None:
    directory = copy_of(tamper={LABELS: _bump_byte(8 + 1)})
    cache_dir().parent.mkdir(parents=True)
    os.replace(directory, cache_dir())
    with pytest.raises(XavierError, match="delete it and it is downloaded again"):
        load_mnist(opener=_refuse_download)
