"""Files written so that a crash leaves either the old file or the new one, never half of one.

The job journal is how the printer, which has no database, avoids printing a job twice when its
command is delivered again: `<printer_dir>/journal/<job_id>.sending` is written before the job's
bytes go to the printer and `<job_id>.done` after.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

# Job ids become file names: one path component, no leading dot, no separators.
JOB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def is_safe_job_id(job_id: str) -> bool:
    return bool(JOB_ID_RE.fullmatch(job_id))


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, rename over `path`, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Journal:
    """Done markers of printed jobs, one small JSON file each."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def _path(self, job_id: str) -> Path:
        if not is_safe_job_id(job_id):
            raise ValueError("job_id is not a safe file name component")
        return self.dir / f"{job_id}.done"

    def is_done(self, job_id: str) -> bool:
        return self._path(job_id).is_file()

    def mark_sending(self, job_id: str) -> None:
        """Written before the bytes go out: found again after a crash, it says the job may have printed."""
        atomic_write(self._path(job_id).with_suffix(".sending"), b"")

    def clear_sending(self, job_id: str) -> None:
        """The send failed (printer offline): the job did not print."""
        self._path(job_id).with_suffix(".sending").unlink(missing_ok=True)

    def was_sending(self, job_id: str) -> bool:
        return self._path(job_id).with_suffix(".sending").is_file()

    def mark_done(self, job_id: str, info: dict[str, Any]) -> None:
        atomic_write(self._path(job_id), json.dumps(info, ensure_ascii=False).encode("utf-8"))
