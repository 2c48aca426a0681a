"""Every catalogue key the code and templates use exists, and catalogues are NFC."""
import json
import re
import unicodedata
from pathlib import Path

from shared.i18n import LOCALE_DIR, catalogue, t

REPO = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]*[a-z0-9_])["']\s*[,)]""")


def test_catalogue_files_are_valid_nfc_json() -> None:
    """Each catalogue parses and every string is NFC-normalised."""
    for path in LOCALE_DIR.glob("vi/*.json"):
        text = path.read_text(encoding="utf-8")
        json.loads(text)
        assert unicodedata.normalize("NFC", text) == text, path


def test_every_literal_key_used_in_code_exists() -> None:
    """Literal t("domain.key") calls in Python and templates resolve to a string."""
    missing = []
    for path in list(REPO.glob("services/**/*.py")) + list(REPO.glob("services/**/templates/*.html")) + \
            list(REPO.glob("simulators/**/*.py")) + list(REPO.glob("simulators/**/templates/*.html")):
        for key in KEY_RE.findall(path.read_text(encoding="utf-8")):
            domain, _, rest = key.partition(".")
            if rest not in catalogue(domain):
                missing.append(f"{path.relative_to(REPO)}: {key}")
    assert missing == []


def test_formatting_fills_placeholders() -> None:
    """Placeholders are filled from keyword arguments."""
    assert t("ui.procedures.days", n=3) == "3 ngày làm việc"
