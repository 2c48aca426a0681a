"""Scans on the kiosk's disk: one directory per citizen session, removed as soon as it is not needed.

    <var>/scans/<correlation id>/<document key>.pdf     the copy that travels (by reference) with the dossier
    <var>/scans/<correlation id>/<document key>.jpg     the thumbnail the screen shows
    <var>/scans/<correlation id>/.outcome-<msg id>.json what a ScanDocument command produced

Every file is written to a temporary name and renamed into place, so a reader (or a crash) never
sees half a file, and running a handler twice just replaces a file with an identical one. The outcome
records make ScanDocument idempotent: a redelivered command re-announces what it did the first time
instead of taking the next stack of pages from the feeder.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from services.scanner.document import ScannedDocument
from shared.files import atomic_write

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class UnsafePath(ValueError):
    """A correlation id, document key or file reference that would leave the scans directory."""


def safe_component(value: str) -> str:
    if not SAFE_NAME.match(value) or ".." in value:
        raise UnsafePath(f"not a safe file name component: {value[:40]!r}")
    return value


class ScanStore:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = Path(var_dir).resolve()
        self.root = self.var_dir / "scans"
        self.root.mkdir(parents=True, exist_ok=True)

    def session_dir(self, correlation_id: str) -> Path:
        return self.root / safe_component(correlation_id)

    def ref(self, path: Path) -> str:
        """The reference other services see: relative to the var dir, with forward slashes."""
        return path.relative_to(self.var_dir).as_posix()

    def save_document(self, correlation_id: str, key: str, doc: ScannedDocument) -> tuple[str, str, str]:
        """Write the PDF and thumbnail (replacing a previous scan of the key); -> (pdf ref, thumb ref, sha256)."""
        folder = self.session_dir(correlation_id)
        pdf, thumb = folder / f"{safe_component(key)}.pdf", folder / f"{key}.jpg"
        atomic_write(thumb, doc.thumbnail)
        atomic_write(pdf, doc.pdf)
        return self.ref(pdf), self.ref(thumb), hashlib.sha256(doc.pdf).hexdigest()

    def save_outcome(self, correlation_id: str, message_id: str, outcome: dict[str, Any]) -> None:
        path = self.session_dir(correlation_id) / f".outcome-{safe_component(message_id)}.json"
        atomic_write(path, json.dumps(outcome, ensure_ascii=False).encode("utf-8"))

    def load_outcome(self, correlation_id: str, message_id: str) -> dict[str, Any] | None:
        path = self.session_dir(correlation_id) / f".outcome-{safe_component(message_id)}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except FileNotFoundError:
            return None

    def discard_session(self, correlation_id: str) -> bool:
        folder = self.session_dir(correlation_id)
        existed = folder.exists()
        shutil.rmtree(folder, ignore_errors=True)
        return existed

    def delete_document(self, file_ref: str) -> bool:
        """Delete a delivered scan (PDF and thumbnail) by reference; then its session dir if now empty."""
        pdf = self.resolve_ref(file_ref)
        existed = pdf.exists()
        pdf.unlink(missing_ok=True)
        pdf.with_suffix(".jpg").unlink(missing_ok=True)
        self._remove_if_done(pdf.parent)
        return existed

    def resolve_ref(self, file_ref: str) -> Path:
        """A reference -> its path, refusing anything outside <var>/scans/<session>/."""
        path = (self.var_dir / file_ref).resolve()
        if path.parent.parent != self.root or path.suffix != ".pdf":
            raise UnsafePath(f"not a scan reference: {file_ref[:80]!r}")
        safe_component(path.parent.name)
        return path

    def _remove_if_done(self, folder: Path) -> None:
        """Remove a session dir once no scan is left (only outcome records, which then mean nothing)."""
        if folder.is_dir() and all(p.name.startswith(".") for p in folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)


