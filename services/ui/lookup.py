"""Reading a dossier code from what the citizen typed or the receipt's QR (pure)."""
from __future__ import annotations

import re
import unicodedata

# <agency code>-<YYMMDD>-<NNNN>; agency codes look like 000.00.19.H47 (digits, dots, letters).
CODE_RE = re.compile(r"^[0-9A-Z][0-9A-Z.]{0,30}-\d{6}-\d{4,6}$")


def normalise_code(text: str) -> str | None:
    """A typed code, forgiving case and spaces; None if it cannot be a dossier code."""
    code = unicodedata.normalize("NFC", text).strip().upper().replace(" ", "")
    return code if CODE_RE.match(code) else None


def code_from_qr(text: str) -> str | None:
    """The receipt's QR carries a URL ending in /tra-cuu/<code> (or the bare code)."""
    tail = text.strip().rstrip("/").rsplit("/", 1)[-1]
    return normalise_code(tail)
