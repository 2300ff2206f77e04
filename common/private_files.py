"""Files with customers' data are readable by their owner only (0600), whatever the umask of the
process that happens to create them first (a service, a CLI, a benchmark)."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create `path` (and its folder) as an owner-only file if it is missing; take group and other
    access away from an existing one."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it a moment ago
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    # An existing file is never opened here: closing any descriptor of a SQLite file drops the
    # POSIX locks this process's SQLite connections hold on it ("disk I/O error" follows).
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        with contextlib.suppress(PermissionError):  # someone else's file: left to its owner
            os.chmod(path, mode & 0o700)
    return path


def private_sqlite(url: str) -> None:
    """The same for the file of a sqlite:/// URL before SQLite creates it (its -wal and -shm files
    take the database file's mode). Other URLs are left alone."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return
    private_file(url.removeprefix("sqlite:///").split("?", 1)[0])
