"""Download a file from the first mirror that serves a good copy, atomically.

The bytes go to a temporary file in the target's own directory; the file is checked by the
caller's ``verify`` and only then renamed onto the target with ``os.replace`` (atomic on POSIX
and Windows). A failed, truncated or corrupt download leaves nothing behind.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from xavier_core import XavierError

Opener = Callable[[str], AbstractContextManager[BinaryIO]]
"""Opens a URL for reading; ``urllib.request.urlopen`` with a timeout by default."""
Verify = Callable[[Path], object]
"""Raises when the file at the path is not a good copy."""

TIMEOUT_SECONDS = 60.0
MAX_DOWNLOAD_BYTES = 64 * 2**20
"""No MNIST .gz is near this (the largest is 9.9 MB); a response beyond it is refused."""
DOWNLOAD_ERRORS = (OSError, EOFError, zlib.error, http.client.HTTPException, XavierError)
"""What a failed mirror raises; http.client.IncompleteRead (a chunked response cut short) is an
HTTPException, not an OSError."""


def open_url(url: str) -> AbstractContextManager[BinaryIO]:
    """``urllib.request.urlopen(url)`` with a timeout; handles https, http and file URLs."""
    return urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS)


def download_verified(url: str, target: Path, verify: Verify, opener: Opener = open_url) -> None:
    """Fetch ``url`` into ``target``, renaming it into place only after ``verify`` passes.

    Raises:
      OSError, EOFError, zlib.error, HTTPException, XavierError: the download or the check
        failed; no file is left behind, neither ``target`` nor the temporary copy.
    """
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out, opener(url) as response:
            _copy_bounded(response, out, url)
        verify(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _copy_bounded(response: BinaryIO, out: BinaryIO, url: str) -> None:
    copied = 0
    while chunk := response.read(2**20):
        copied += len(chunk)
        if copied > MAX_DOWNLOAD_BYTES:
            raise XavierError(f"{url} sent more than {MAX_DOWNLOAD_BYTES} bytes; no MNIST file "
                              "is that large")
        out.write(chunk)


def download_from_mirrors(
    name: str, directory: Path, verify: Verify, mirrors: Sequence[str], opener: Opener = open_url
) -> Path:
    """Download ``name`` into ``directory`` from the first of ``mirrors`` that gives a good copy.

    Args:
      name: the file name, appended to each mirror's base URL (which ends with ``/``).
      directory: where the file goes; created if missing.
      verify: raises when a downloaded copy is bad.
      mirrors: base URLs, tried in order.
      opener: opens a URL for reading (inject a fake to test without a network).

    Returns:
      The path of the verified file.

    Raises:
      XavierError: every mirror failed; the message lists each failure.
    """
    directory.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror + name
        try:
            download_verified(url, directory / name, verify, opener)
        except DOWNLOAD_ERRORS as error:
            failures.append(f"  {url}: {error}")
        else:
            return directory / name
    raise XavierError(f"could not download {name} into {directory}:\n" + "\n".join(failures))
