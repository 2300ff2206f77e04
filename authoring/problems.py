"""A finding of a check, printed as `file:line: message` (the form editors and CI logs link)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    message: str

    def format(self, root: Path | None = None) -> str:
        return f"{display_path(self.path, root)}:{self.line}: {self.message}"


def display_path(path: Path, root: Path | None = None) -> str:
    """The path relative to `root` (the project folder) when it lies inside it, so the line is short
    and clickable from the folder a writer runs `make` in."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)
