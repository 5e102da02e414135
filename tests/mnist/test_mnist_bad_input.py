"""Issue 16, the MNIST loader: each bad input found by fuzzing gets a clear XavierError/TypeError
(naming the argument or the file, saying what is allowed), never a hang, a raw OSError or a
misleading 'missing'."""

from __future__ import annotations

import gzip
import http.client
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

from xavier_conformance.mnist import FILES, cache_dir, find_mnist, load_mnist
from xavier_core import XavierError

LABELS = FILES["test_labels"]


def _mirror(directory: Path) -> str:
    return directory.as_uri() + "/"


class _CutShort(io.RawIOBase):
    """A chunked HTTP body that ends early, as http.client reports it."""

    def readinto(self, buffer: object) -> int:
        raise http.client.IncompleteRead(b"\x1f\x8b", 1000)

    def readable(self) -> bool:
        return True


def test_incomplete_read_tries_the_next_mirror(clean_env: Path, mnist_dir: Path) -> None:
    good = _mirror(mnist_dir)
    calls: list[str] = []

    @contextmanager
    def opener(url: str) -> Iterator[BinaryIO]:
        calls.append(url)
        if url.startswith("https://cut.example/"):
            yield io.BufferedReader(_CutShort())
        else:
            with open(url.removeprefix("file://"), "rb") as stream:
                yield stream

    data = load_mnist(mirrors=["https://cut.example/", good], opener=opener)
    assert data.test_labels[:3].tolist() == [7, 2, 1]
    assert calls[0].startswith("https://cut.example/"), f"got {calls}"
    assert not [p for p in cache_dir().iterdir() if p.name.endswith(".part")]


def test_gzip_bomb_is_not_read_whole(copy_of: Callable[..., Path]) -> None:
    size = 8 + 10000  # the IDX header of a labels file and its values
    bomb = copy_of(raw_tamper={LABELS.name: lambda gz: gzip.compress(
        gzip.decompress(gz) + bytes(200 * 2**20), compresslevel=1)})
    with pytest.raises(XavierError, match=f"decompresses to more than {size} bytes"):
        load_mnist(bomb)


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink-loop"])
def test_non_file_under_a_file_name_is_named(kind: str, copy_of: Callable[..., Path]) -> None:
    directory = copy_of()
    entry = directory / LABELS.name
    entry.unlink()
    if kind == "directory":
        entry.mkdir()
        expected = "is a directory, not a file"
    elif kind == "fifo":
        os.mkfifo(entry)
        expected = "is not a regular file"
    else:
        entry.symlink_to(entry)
        expected = "cannot be read"
    with pytest.raises(XavierError, match=f"data_dir must be .*{LABELS.name} {expected}"):
        load_mnist(directory)


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_non_file_in_the_cache_is_named(kind: str, clean_env: Path, mnist_dir: Path) -> None:
    cache = cache_dir()
    cache.mkdir(parents=True)
    entry = cache / LABELS.name
    entry.mkdir() if kind == "directory" else os.mkfifo(entry)
    with pytest.raises(XavierError, match=f"{LABELS.name} is .*remove it"):
        load_mnist(mirrors=[_mirror(mnist_dir)])


def test_data_dir_naming_a_file_says_so(mnist_dir: Path) -> None:
    with pytest.raises(XavierError, match=r"data_dir must be a directory.*it is a file, not a "
                                          "directory"):
        find_mnist(mnist_dir / LABELS.name)


def test_data_dir_of_a_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"data_dir must be a path .* got data_dir=3"):
        find_mnist(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("mirrors, expected", [
    ("file:///m/", r"mirrors must be a non-empty list .*got mirrors='file:///m/'; wrap"),
    ([], r"mirrors must be a non-empty list .*got mirrors=\[\]"),
    (["file:///m"], r"got mirrors=\['file:///m'\]; 'file:///m' does not end with '/'"),
    ([3], r"3 is no str"),
], ids=["string", "empty", "no-trailing-slash", "not-a-str"])
def test_bad_mirrors_are_refused_up_front(mirrors: object, expected: str,
                                          clean_env: Path) -> None:
    with pytest.raises(XavierError, match=expected):
        find_mnist(mirrors=mirrors)  # type: ignore[arg-type]


def test_xdg_cache_home_naming_a_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path, mnist_dir: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(afile))
    with pytest.raises(XavierError, match=f"XDG_CACHE_HOME='{afile}' must name a writable "
                                          "directory"):
        load_mnist(mirrors=[_mirror(mnist_dir)])
