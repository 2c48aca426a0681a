"""The procedure catalogue (danh mục thủ tục hành chính): data files -> validated models, form rules.

Each procedure is one JSON file in data/procedures/ (loaded in file-name order), so a commune adds
or corrects a procedure without touching code. The UI and intake share this module:

- the form data is ``{field key: the string as typed}``;
- documents are identified by ``DocumentSpec.key`` (the scanner's ``document_key``).

Validation messages come from shared/locale/vi/catalogue.json.
"""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.i18n import t
from shared.messages import Citizen, nfc

KEY_PATTERN = r"^[a-z0-9_]+$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Caps for fields without max_length: a hostile or stuck keyboard must not fill the database.
DEFAULT_MAX = {"textarea": 2000}
DEFAULT_MAX_OTHER = 200
_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class CatalogueError(ValueError):
    """A procedure file that cannot be used: the message names the file, the place and the reason."""


class _DataModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, v: Any) -> Any:
        return nfc(v)


class DocumentSpec(_DataModel):
    """A paper document the citizen brings (thành phần hồ sơ)."""

    key: str = Field(pattern=KEY_PATTERN, max_length=40)
    name: str = Field(min_length=1)
    kind: Literal["original", "copy", "either"]  # bản chính / bản sao / bản chính hoặc bản sao
    count: int = Field(default=1, ge=1)
    required: bool = True
    note: str = ""


class FieldSpec(_DataModel):
    """One field of the declaration form (tờ khai)."""

    key: str = Field(pattern=KEY_PATTERN, max_length=40)
    label: str = Field(min_length=1)
    type: Literal["text", "textarea", "date", "choice", "id_number", "phone", "number"]
    required: bool = True
    max_length: int | None = Field(default=None, ge=1)
    options: list[str] = Field(default_factory=list)
    prefill: Literal["full_name", "date_of_birth", "sex", "id_number", "address", "phone"] | None = None
    help: str = ""

    @model_validator(mode="after")
    def _options_match_type(self) -> FieldSpec:
        if self.type == "choice" and not self.options:
            raise ValueError("a choice field needs options")
        if self.type != "choice" and self.options:
            raise ValueError("only a choice field has options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("duplicate options")
        if self.prefill == "date_of_birth" and self.type != "date":
            raise ValueError("prefill date_of_birth needs type date")
        if self.prefill == "sex" and not (self.type == "choice" and {"Nam", "Nữ"} <= set(self.options)):
            raise ValueError("prefill sex needs a choice with options Nam and Nữ")
        return self

    @property
    def limit(self) -> int:
        return self.max_length or DEFAULT_MAX.get(self.type, DEFAULT_MAX_OTHER)


class Procedure(_DataModel):
    """An administrative procedure (thủ tục hành chính) the kiosk accepts."""

    code: str = Field(pattern=SLUG_PATTERN, max_length=80)
    national_code: str = Field(min_length=1)  # mã thủ tục on the national portal (Cơ sở dữ liệu quốc gia về TTHC)
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)  # lĩnh vực, e.g. "Hộ tịch"
    legal_basis: str = Field(min_length=1)
    fee_vnd: int = Field(ge=0)
    fee_note: str = ""
    processing_days: int = Field(ge=0)  # working days
    processing_note: str = ""
    receiving_unit: str = Field(min_length=1)
    documents: list[DocumentSpec] = Field(min_length=1)
    fields: list[FieldSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Procedure:
        for what, keys in (("document", [d.key for d in self.documents]), ("field", [f.key for f in self.fields])):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"duplicate {what} keys: {', '.join(dupes)}")
        return self

    def document(self, key: str) -> DocumentSpec | None:
        return next((d for d in self.documents if d.key == key), None)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def load_catalogue(directory: Path) -> dict[str, Procedure]:
    """Every *.json file of a directory, in file-name order -> {procedure code: Procedure}."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise CatalogueError(f"{directory}: no procedure files (*.json)")
    out: dict[str, Procedure] = {}
    for path in files:
        proc = load_procedure(path)
        if proc.code in out:
            raise CatalogueError(f"{path.name}: procedure code {proc.code!r} is already used by another file")
        out[proc.code] = proc
    return out


def load_procedure(path: Path) -> Procedure:
    """One procedure file -> Procedure, or CatalogueError naming the file, the place and the reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: cannot read as UTF-8: {exc}") from exc
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"{path.name}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc
    try:
        return Procedure.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(f"{path.name}: {_describe(exc)}") from exc


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; in a data file that is always a mistake.
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate JSON keys: {', '.join(dupes)}")
    return dict(pairs)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        parts.append(f"field {where}: {err['msg']}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Prefill and validation
# ---------------------------------------------------------------------------------------------

def prefill(proc: Procedure, citizen: Citizen) -> dict[str, str]:
    """The initial form: every field key, with identity data where the field asks for it, else ""."""
    out: dict[str, str] = {}
    for f in proc.fields:
        value: Any = getattr(citizen, f.prefill) if f.prefill else ""
        out[f.key] = format_date(value) if isinstance(value, date) else str(value)
    return out


def format_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def validate_form(proc: Procedure, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed form -> (clean values, {field key: Vietnamese error}). Unknown keys are dropped.

    Clean values: text as NFC and stripped; dates as datetime.date; numbers as int; phone numbers
    as 10 digits. Empty optional fields are left out.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in proc.fields:
        raw = form.get(f.key)
        value = unicodedata.normalize("NFC", "" if raw is None else str(raw)).strip()
        if not value:
            if f.required:
                which = "required_choice" if f.type == "choice" else "required"
                errors[f.key] = t(f"catalogue.error.{which}", label=f.label)
            continue
        try:
            clean[f.key] = _check(f, value)
        except _FieldError as exc:
            errors[f.key] = str(exc)
    return clean, errors


class _FieldError(ValueError):
    pass


def _fail(key: str, **kw: Any) -> _FieldError:
    return _FieldError(t(f"catalogue.error.{key}", **kw))


def _check(f: FieldSpec, value: str) -> Any:
    if len(value) > f.limit:
        raise _fail("too_long", label=f.label, max=f.limit)
    if _CONTROL_RE.search(value) or (f.type != "textarea" and "\n" in value):
        raise _fail("invalid_chars", label=f.label)
    return _CHECKS.get(f.type, _as_text)(f, value)


def _as_text(_f: FieldSpec, value: str) -> str:
    return value


def _as_date(f: FieldSpec, value: str) -> date:
    m = _DATE_RE.match(value)
    if not m:
        raise _fail("date_format", label=f.label)
    day, month, year = (int(g) for g in m.groups())
    try:
        d = date(year, month, day)
    except ValueError:
        raise _fail("date_invalid", label=f.label) from None
    if year < 1900:
        raise _fail("date_invalid", label=f.label)
    return d


def _as_choice(f: FieldSpec, value: str) -> str:
    if value not in f.options:
        raise _fail("choice", label=f.label, options=", ".join(f.options))
    return value


def _as_id_number(f: FieldSpec, value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise _fail("id_number", label=f.label)
    return value


def _as_phone(f: FieldSpec, value: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if not re.fullmatch(r"0\d{9}", digits):
        raise _fail("phone", label=f.label)
    return digits


def _as_number(f: FieldSpec, value: str) -> int:
    if not re.fullmatch(r"\d{1,9}", value):
        raise _fail("number", label=f.label)
    return int(value)


_CHECKS = {"date": _as_date, "choice": _as_choice, "id_number": _as_id_number, "phone": _as_phone,
           "number": _as_number}


def missing_documents(proc: Procedure, document_keys: list[str]) -> list[DocumentSpec]:
    """The required documents of a procedure that are not among the given keys."""
    have = set(document_keys)
    return [d for d in proc.documents if d.required and d.key not in have]


def unknown_documents(proc: Procedure, document_keys: list[str]) -> list[str]:
    """Document keys a procedure does not know (a mix-up between procedures)."""
    known = {d.key for d in proc.documents}
    return [k for k in document_keys if k not in known]
