"""Files the commands write: whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def written_whole(path: str | Path) -> Iterator[Path]:
    """The path to write to: a temporary file beside `path`, renamed to it when the block
    ends without error and removed when it fails, so a failed write (a full disk, a crash)
    never leaves half a file or spoils one already there. For a device or pipe that exists
    (/dev/stdout) the temporary file is copied to it at the end. OSError says what went
    wrong; a folder given as the path is refused before anything is written."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file name", str(path))
    device = path.exists() and not path.is_file()
    descriptor, name = tempfile.mkstemp(
        dir=None if device else path.parent, prefix=f".{path.name}."
    )
    os.close(descriptor)
    temporary = Path(name)
    try:
        # mkstemp makes it private (0600); the file gets the permissions any new file gets.
        os.chmod(temporary, 0o666 & ~_umask())
        yield temporary
        if device:
            with temporary.open("rb") as source, path.open("wb") as target:
                shutil.copyfileobj(source, target)
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
