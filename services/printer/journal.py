"""The printer's job journal.

The job journal is how the printer, which has no database, avoids printing a job twice when its
command is delivered again: `<printer_dir>/journal/<job_id>.sending` is written before the job's
bytes go to the printer and `<job_id>.done` after.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shared.files import atomic_write

# Job ids become file names: one path component, no leading dot, no separators.
JOB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def is_safe_job_id(job_id: str) -> bool:
    return bool(JOB_ID_RE.fullmatch(job_id))


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
