"""Message catalogues: every user-facing string lives in shared/locale/<lang>/<domain>.json.

    t("ui.home.submit")          -> "Nộp hồ sơ"  (domain "ui", key "home.submit")
    t("status.received")         -> "Đã tiếp nhận"
    t("ui.form.too_long", max=100) -> formatted with str.format

A missing key raises KeyError in tests (a catalogue test checks every key used exists).
"""
from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT_LANG = "vi"


@cache
def catalogue(domain: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    path = LOCALE_DIR / lang / f"{domain}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: unicodedata.normalize("NFC", v) for k, v in _flatten(data).items()}


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


def t(key: str, lang: str = DEFAULT_LANG, **kw: Any) -> str:
    domain, _, rest = key.partition(".")
    text = catalogue(domain, lang)[rest]
    return text.format(**kw) if kw else text
