"""MNIST from its four canonical IDX ``.gz`` files, verified by SHA-256 before use.

Where the files are looked for, first match wins:

1. the ``data_dir`` argument;
2. the environment variable ``XAVIER_MNIST_DIR``;
3. the user cache, ``$XDG_CACHE_HOME/xavier-init/mnist`` (default ``~/.cache/xavier-init/mnist``),
   into which missing files are downloaded from :data:`MIRRORS` (each checked before it is
   renamed into place, so the cache never holds a partial or corrupt file).

A directory named by 1 or 2 must hold all four files; nothing is downloaded into it. Each file is
decompressed, its IDX header checked (magic number, shape, length), and the SHA-256 of its
uncompressed bytes compared with the published one; any failure raises
:class:`xavier_core.XavierError` saying which file, what is wrong and what to do. Never pickle.

Example:
  >>> data = load_mnist()                         # XAVIER_MNIST_DIR, else the user cache
  >>> data.train_images.shape, data.test_labels[:3]
  ((60000, 28, 28), array([7, 2, 1], dtype=uint8))
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import stat
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from xavier_conformance.mnist.download import Opener, download_from_mirrors, open_url
from xavier_core import XavierError
from xavier_core.errors import bad_argument

ENV_VAR = "XAVIER_MNIST_DIR"
"""The documented data setting: a directory holding the four files."""
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
"""Base URLs serving the original ``.gz`` files (torchvision's and TensorFlow's mirrors)."""
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


@dataclass(frozen=True)
class IdxFile:
    """One of the four files: its name, IDX magic number, shape, and uncompressed SHA-256."""

    name: str
    magic: int
    shape: tuple[int, ...]
    sha256: str


FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte.gz", IMAGES_MAGIC, (60000, 28, 28),
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte.gz", LABELS_MAGIC, (60000,),
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte.gz", IMAGES_MAGIC, (10000, 28, 28),
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC, (10000,),
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
"""The four files by field name of :class:`Mnist`."""

HOW_TO_GET = (f"put the four files ({', '.join(f.name for f in FILES.values())}) in a directory "
              f"and set {ENV_VAR} to it, or pass data_dir=")


@dataclass(frozen=True)
class Mnist:
    """The four arrays, uint8 and read-only: images (N, 28, 28) in 0..255, labels (N,) in 0..9."""

    train_images: NDArray[np.uint8]
    train_labels: NDArray[np.uint8]
    test_images: NDArray[np.uint8]
    test_labels: NDArray[np.uint8]
    directory: Path


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/xavier-init/mnist``, or ``~/.cache/xavier-init/mnist``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xavier-init" / "mnist"


def uncompressed_size(file: IdxFile) -> int:
    """The exact byte count of ``file`` once decompressed: its IDX header plus its values."""
    return 4 + 4 * len(file.shape) + math.prod(file.shape)


def entry_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a data file (None when it is a regular file, following
    symlinks): missing, a directory, a FIFO or other special file, a symlink loop."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "is a dangling symlink" if path.is_symlink() else "is missing"
    except OSError as error:  # ELOOP, EACCES, ENOTDIR, ...
        return f"cannot be read ({error.strerror or error})"
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, socket or device)"
    return None


def parse_idx(data: bytes, file: IdxFile, source: str = "") -> NDArray[np.uint8]:
    """The array an uncompressed IDX file holds, after checking its header against ``file``.

    IDX: two zero bytes, a type byte (0x08 = unsigned byte), the rank r, then r big-endian
    uint32 dimensions, then the values. ``source`` names the data in errors (default
    ``file.name``).

    Raises:
      XavierError: wrong magic number, shape, or length.
    """
    source = source or file.name
    magic = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else None
    if magic != file.magic:
        shown = "missing" if magic is None else f"{magic:#010x}"
        raise XavierError(f"{source} is not an MNIST IDX file: its magic number is {shown}, "
                          f"but should be {file.magic:#010x}")
    rank = len(file.shape)
    header = 4 + 4 * rank
    shape = struct.unpack(f">{rank}I", data[4:header]) if len(data) >= header else ()
    if shape != file.shape:
        raise XavierError(f"{source} has shape {shape} in its header, "
                          f"but should have {file.shape}")
    if len(data) != header + math.prod(shape):
        raise XavierError(f"{source} holds {len(data) - header} values, "
                          f"but its header says {math.prod(shape)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_gz(path: Path, file: IdxFile) -> NDArray[np.uint8]:
    """Decompress, check the header and the SHA-256 of the uncompressed bytes, and parse.

    Raises:
      XavierError: the file cannot be decompressed (truncated, not gzip), has a bad header, or
        a SHA-256 other than ``file.sha256``.
    """
    problem = entry_problem(path)
    if problem:  # never open a FIFO (it blocks) or a directory
        raise XavierError(f"{path} {problem}; it should be the MNIST file {file.name}")
    expected = uncompressed_size(file)
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read(expected + 1)  # bounded: a gzip bomb is not read whole
    except (OSError, EOFError, zlib.error) as error:
        raise XavierError(f"{path} cannot be decompressed ({error}); the file is truncated or "
                          "not gzip") from error
    if len(data) > expected:
        raise XavierError(f"{path} decompresses to more than {expected} bytes, but the MNIST "
                          f"file {file.name} holds exactly {expected}; it is not that file")
    array = parse_idx(data, file, str(path))
    digest = hashlib.sha256(data).hexdigest()
    if digest != file.sha256:
        raise XavierError(f"{path} is corrupt: the SHA-256 of its uncompressed bytes is {digest}, "
                          f"but should be {file.sha256}")
    return array


def _checked_directory(directory: Path, name: str) -> Path:
    allowed = "a directory holding the four MNIST .gz files"
    if not directory.is_dir():
        problem = entry_problem(directory)
        hint = ("it is a file, not a directory" if problem is None
                else "it does not exist" if problem == "is missing" else f"it {problem}")
        raise bad_argument(name, str(directory), allowed, hint)
    problems = {f.name: entry_problem(directory / f.name) for f in FILES.values()}
    missing = [n for n, p in problems.items() if p == "is missing"]
    if missing:
        raise bad_argument(name, str(directory), allowed, f"missing: {', '.join(missing)}")
    bad = [f"{n} {p}" for n, p in problems.items() if p]
    if bad:
        raise bad_argument(name, str(directory), allowed, "; ".join(bad))
    return directory


def _checked_mirrors(mirrors: object) -> tuple[str, ...]:
    allowed = ("a non-empty list of base URLs, each ending with '/' "
               "(e.g. ['https://example.org/mnist/'])")
    if isinstance(mirrors, (str, bytes)) or not isinstance(mirrors, Sequence):
        raise bad_argument("mirrors", mirrors, allowed,
                           "wrap a single URL in a list" if isinstance(mirrors, str) else "")
    if not mirrors:
        raise bad_argument("mirrors", mirrors, allowed)
    for mirror in mirrors:
        if not isinstance(mirror, str) or not mirror.endswith("/"):
            raise bad_argument("mirrors", list(mirrors), allowed,
                               f"{mirror!r} does not end with '/' (the file name is appended "
                               "to it)" if isinstance(mirror, str) else f"{mirror!r} is no str")
    return tuple(mirrors)


def _make_cache(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        base = os.environ.get("XDG_CACHE_HOME")
        where = (f"XDG_CACHE_HOME={base!r}" if base else f"the home cache {directory.parent}")
        raise XavierError(f"cannot create the MNIST cache {directory} ({error.strerror or error}); "
                          f"{where} must name a writable directory (or unset it); "
                          f"or {HOW_TO_GET}") from error
    if not directory.is_dir():
        raise XavierError(f"the MNIST cache {directory} is not a directory; remove it, or "
                          f"{HOW_TO_GET}")


def _fill_cache(directory: Path, download: bool, mirrors: Sequence[str],
                opener: Opener) -> Path:
    if not directory.is_dir() and download:
        _make_cache(directory)
    problems = {f.name: entry_problem(directory / f.name) if directory.is_dir() else "is missing"
                for f in FILES.values()}
    bad = [f"{directory / n} {p}" for n, p in problems.items() if p and p != "is missing"]
    if bad:
        raise XavierError(f"the MNIST cache holds something else under a file's name: "
                          f"{'; '.join(bad)}; remove it and it is downloaded again")
    missing = [f for f in FILES.values() if problems[f.name] == "is missing"]
    if missing and not download:
        raise XavierError(f"MNIST is not in the cache {directory} and download=False; "
                          f"{HOW_TO_GET}")
    for file in missing:
        try:
            download_from_mirrors(file.name, directory, lambda p, f=file: read_idx_gz(p, f),
                                  mirrors, opener)
        except XavierError as error:
            raise XavierError(f"{error}\nto use MNIST offline, {HOW_TO_GET}") from error
    return directory


def find_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] = MIRRORS,
    opener: Opener = open_url,
) -> Path:
    """The directory that holds the four files, downloading them into the cache if needed.

    Args:
      data_dir: a directory holding the four files; overrides ``XAVIER_MNIST_DIR``.
      download: whether missing cache files may be downloaded.
      mirrors: base URLs tried in order (each ends with ``/``; ``file://`` URLs work).
      opener: opens a URL for reading; inject one to test without a network.

    Raises:
      XavierError: a named directory does not exist or lacks a file, or the cache lacks a file
        that could not be downloaded; the message says what to do.
    """
    checked_mirrors = _checked_mirrors(mirrors)
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"data_dir must be a path (str or os.PathLike) or None, "
                            f"got data_dir={data_dir!r}")
        return _checked_directory(Path(data_dir), "data_dir")
    if os.environ.get(ENV_VAR):
        return _checked_directory(Path(os.environ[ENV_VAR]), ENV_VAR)
    return _fill_cache(cache_dir(), download, checked_mirrors, opener)


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] = MIRRORS,
    opener: Opener = open_url,
) -> Mnist:
    """MNIST as four verified uint8 arrays, found as :func:`find_mnist` describes.

    Raises:
      XavierError: the files cannot be found or fetched, or one is truncated, malformed or
        fails its SHA-256 check.

    Example:
      >>> import os
      >>> data = load_mnist(os.environ["XAVIER_MNIST_DIR"])    # a folder with the four files
      >>> data.train_labels[:10]
      array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4], dtype=uint8)
    """
    directory = find_mnist(data_dir, download=download, mirrors=mirrors, opener=opener)
    try:
        arrays = {field: read_idx_gz(directory / f.name, f) for field, f in FILES.items()}
    except XavierError as error:
        remedy = ("delete it and it is downloaded again" if directory == cache_dir()
                  else "replace it with a good copy")
        raise XavierError(f"{error}; {remedy}") from error
    return Mnist(**arrays, directory=directory)
