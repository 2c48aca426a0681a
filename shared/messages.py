"""Message contracts: every message on the bus is one of these pydantic models.

Wire format (JSON, UTF-8, NFC):
    {"message_id", "type", "version", "time", "correlation_id", "causation_id", "kiosk_id", "payload"}

- Events are past tense (``dossier.received``) and go to the topic exchange ``<ns>.events`` with the
  type as routing key.
- Commands are imperative (``printer.print_receipt``); the first word of the type names the one
  service that owns it. They go to ``<ns>.commands`` with routing key ``<type>.<kiosk_id>``, so a
  device command reaches the box it is meant for.
- Queries (``intake.get_dossier_status``) are commands that expect a reply on ``reply_to``.

Consumers ignore unknown fields. A breaking change is a new ``VERSION`` of the payload registered
beside the old one until every consumer has moved.
"""
from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


def nfc(value: Any) -> Any:
    """NFC-normalise every string inside a JSON-like value (Vietnamese has two encodings of each tone)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Payload(BaseModel):
    """Base of every message payload. Subclasses set TYPE, VERSION and KIND."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    KIND: ClassVar[Literal["event", "command", "query", "reply"]]

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, v: Any) -> Any:
        return nfc(v)

    @classmethod
    def owner(cls) -> str:
        """The service that owns a command or query: the first word of its type."""
        return cls.TYPE.split(".", 1)[0]


class Envelope(BaseModel):
    """What travels on the wire around a payload."""

    model_config = ConfigDict(extra="ignore")
    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    time: datetime = Field(default_factory=utcnow)
    correlation_id: str  # one per citizen session (or per ops action)
    causation_id: str | None = None
    # Part of routing keys: one plain word (see shared.settings.KIOSK_ID_RE).
    kiosk_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    payload: dict[str, Any]


P = TypeVar("P", bound=Payload)


class Message(BaseModel, Generic[P]):
    """An envelope whose payload has been validated into its model: what handlers receive."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    envelope: Envelope
    payload: P

    @property
    def correlation_id(self) -> str:
        return self.envelope.correlation_id

    @property
    def kiosk_id(self) -> str:
        return self.envelope.kiosk_id

    @property
    def message_id(self) -> uuid.UUID:
        return self.envelope.message_id


REGISTRY: dict[tuple[str, int], type[Payload]] = {}


def register(cls: type[P]) -> type[P]:
    key = (cls.TYPE, cls.VERSION)
    if key in REGISTRY:
        raise RuntimeError(f"message {key} registered twice")
    REGISTRY[key] = cls
    return cls


def envelope_for(payload: Payload, *, correlation_id: str, kiosk_id: str,
                 causation_id: str | None = None, message_id: uuid.UUID | None = None) -> Envelope:
    return Envelope(
        message_id=message_id or uuid.uuid4(), type=payload.TYPE, version=payload.VERSION,
        correlation_id=correlation_id, causation_id=causation_id, kiosk_id=kiosk_id,
        payload=payload.model_dump(mode="json"),
    )


class ContractError(ValueError):
    """A message that cannot be understood: it is dead-lettered, never retried."""


def _describe(exc: ValidationError) -> str:
    """Which fields were wrong and how, without the values: they may be a citizen's name or ID number."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['type']}" for e in exc.errors()[:10])


def decode(body: bytes) -> Message[Any]:
    """Bytes from the wire -> a validated Message, or ContractError saying precisely why not."""
    try:
        env = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise ContractError(f"invalid envelope: {_describe(exc)}") from None
    cls = REGISTRY.get((env.type, env.version))
    if cls is None:
        raise ContractError(f"unknown message type/version: {env.type[:100]} v{env.version}")
    try:
        payload = cls.model_validate(env.payload)
    except ValidationError as exc:
        raise ContractError(f"invalid payload for {env.type} v{env.version}: {_describe(exc)}") from None
    return Message(envelope=env, payload=payload)


def encode(env: Envelope) -> bytes:
    return env.model_dump_json().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Shared value objects
# ---------------------------------------------------------------------------------------------

class Citizen(BaseModel):
    """Identity data from VNeID (cong dan)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    id_number: str = Field(pattern=r"^\d{12}$")
    full_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    sex: Literal["Nam", "Nữ"]
    address: str = Field(default="", max_length=500)
    phone: str = Field(default="", max_length=20)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, v: Any) -> Any:
        return nfc(v)


class DocumentRef(BaseModel):
    """A scanned document: a reference to a file on the kiosk and its SHA-256, never the bytes."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    document_key: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: str
    # Only a scan of this kiosk: scans/<session>/<document key>.pdf, nothing else under var/.
    file_ref: str = Field(pattern=r"^scans/[A-Za-z0-9_-]{1,64}/[a-z0-9_]{1,40}\.pdf$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pages: int = Field(ge=1)
    size_bytes: int = Field(ge=0)


class StatusEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    status: str
    at: datetime
    actor: str = ""
    note: str = ""


# ---------------------------------------------------------------------------------------------
# scanner
# ---------------------------------------------------------------------------------------------

@register
class ArmQrReader(Payload):
    """Start reading QR codes for this session (login or lookup) until one is read or time runs out."""

    TYPE = "scanner.arm_qr_reader"
    KIND = "command"
    purpose: Literal["login", "lookup"]
    timeout_s: float = Field(default=60, gt=0, le=600)


@register
class DisarmQrReader(Payload):
    TYPE = "scanner.disarm_qr_reader"
    KIND = "command"


@register
class ScanDocument(Payload):
    """Take the pages in the feeder as one document."""

    TYPE = "scanner.scan_document"
    KIND = "command"
    document_key: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    document_name: str
    max_pages: int = Field(default=20, ge=1, le=200)
    wait_s: float = Field(default=20, ge=0, le=120)


@register
class DiscardSession(Payload):
    """Delete everything the kiosk holds for this session (scans, frames)."""

    TYPE = "scanner.discard_session"
    KIND = "command"


@register
class QrScanned(Payload):
    TYPE = "qr.scanned"
    KIND = "event"
    purpose: Literal["login", "lookup"]
    text: str = Field(max_length=4096)
    decoder: str


@register
class DocumentScanned(Payload):
    TYPE = "document.scanned"
    KIND = "event"
    document: DocumentRef
    thumbnail_ref: str = Field(pattern=r"^scans/[A-Za-z0-9_-]{1,64}/[a-z0-9_]{1,40}\.jpg$")
    blank_pages_dropped: int = 0


@register
class DocumentScanFailed(Payload):
    TYPE = "document.scan_failed"
    KIND = "event"
    document_key: str
    reason: Literal["feeder_empty", "unreadable", "too_many_pages", "too_large", "device_error"]
    detail: str = ""


# ---------------------------------------------------------------------------------------------
# identity
# ---------------------------------------------------------------------------------------------

@register
class CitizenAuthenticated(Payload):
    TYPE = "citizen.authenticated"
    KIND = "event"
    citizen: Citizen
    method: str = "vneid_qr"


@register
class CitizenAuthenticationFailed(Payload):
    TYPE = "citizen.authentication_failed"
    KIND = "event"
    reason: Literal["not_vneid", "expired", "bad_signature", "replayed", "wrong_audience",
                    "unknown_key", "provider_unavailable", "invalid_claims"]
    detail: str = ""


@register
class SendOtp(Payload):
    """Send a confirmation code to the citizen's phone (via the VNeID provider)."""

    TYPE = "identity.send_otp"
    KIND = "command"
    id_number: str = Field(pattern=r"^\d{12}$")
    purpose: str = "submit_dossier"


@register
class VerifyOtp(Payload):
    TYPE = "identity.verify_otp"
    KIND = "command"
    id_number: str = Field(pattern=r"^\d{12}$")
    code: str = Field(max_length=12)


@register
class OtpSent(Payload):
    TYPE = "otp.sent"
    KIND = "event"
    masked_phone: str
    expires_at: datetime


@register
class OtpVerified(Payload):
    TYPE = "otp.verified"
    KIND = "event"
    confirmation_id: uuid.UUID


@register
class OtpRejected(Payload):
    TYPE = "otp.rejected"
    KIND = "event"
    reason: Literal["wrong", "expired", "locked", "no_challenge", "send_failed"]
    attempts_left: int = 0
    locked_until: datetime | None = None


# ---------------------------------------------------------------------------------------------
# intake
# ---------------------------------------------------------------------------------------------

@register
class SubmitDossier(Payload):
    """Store a dossier (ho so). submission_id makes a retried submit land once."""

    TYPE = "intake.submit_dossier"
    KIND = "command"
    submission_id: uuid.UUID
    procedure_code: str
    applicant: Citizen
    form: dict[str, Any]
    documents: list[DocumentRef]
    otp_confirmation_id: uuid.UUID


class DossierData(BaseModel):
    """A dossier as stored by intake and delivered to the portal."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    code: str
    submission_id: uuid.UUID
    agency_code: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    applicant: Citizen
    form: dict[str, Any]
    documents: list[DocumentRef]
    fee_vnd: int
    received_at: datetime
    due_date: date
    status: str
    kiosk_id: str


@register
class DossierReceived(Payload):
    TYPE = "dossier.received"
    KIND = "event"
    dossier: DossierData


@register
class DossierRejected(Payload):
    """A submission intake could not accept (unknown procedure, invalid form)."""

    TYPE = "dossier.submission_rejected"
    KIND = "event"
    submission_id: uuid.UUID
    reason: str


@register
class DossierStatusChanged(Payload):
    TYPE = "dossier.status_changed"
    KIND = "event"
    dossier_code: str
    status: str
    at: datetime
    actor: str = ""
    note: str = ""
    portal_seq: int = 0


@register
class IssueQueueTicket(Payload):
    TYPE = "intake.issue_queue_ticket"
    KIND = "command"
    request_id: uuid.UUID
    area: str = "general"


@register
class QueueTicketIssued(Payload):
    TYPE = "queue_ticket.issued"
    KIND = "event"
    request_id: uuid.UUID
    number: str
    area: str
    area_name: str
    people_ahead: int
    issued_at: datetime


@register
class GetCatalogue(Payload):
    TYPE = "intake.get_catalogue"
    KIND = "query"


@register
class GetDossierStatus(Payload):
    TYPE = "intake.get_dossier_status"
    KIND = "query"
    dossier_code: str = Field(max_length=64)


@register
class QueryReply(Payload):
    """The answer to any query: ok with data, or an error code."""

    TYPE = "reply"
    KIND = "reply"
    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)
    error: str = ""


# ---------------------------------------------------------------------------------------------
# printer
# ---------------------------------------------------------------------------------------------

@register
class PrintReceipt(Payload):
    """Print the receipt and appointment slip (giay tiep nhan va hen tra ket qua)."""

    TYPE = "printer.print_receipt"
    KIND = "command"
    job_id: str
    dossier: DossierData
    lookup_url: str


@register
class PrintQueueTicket(Payload):
    TYPE = "printer.print_queue_ticket"
    KIND = "command"
    job_id: str
    number: str
    area_name: str
    people_ahead: int
    issued_at: datetime


@register
class ReceiptPrinted(Payload):
    TYPE = "receipt.printed"
    KIND = "event"
    job_id: str
    dossier_code: str = ""
    png_ref: str = ""
    is_copy: bool = False


@register
class PrintFailed(Payload):
    TYPE = "print.failed"
    KIND = "event"
    job_id: str
    reason: str


# ---------------------------------------------------------------------------------------------
# portal_sync
# ---------------------------------------------------------------------------------------------

@register
class DossierDelivered(Payload):
    TYPE = "dossier.delivered"
    KIND = "event"
    dossier_code: str
    portal_ref: str
    delivered_at: datetime
    # The kiosk-side files (scans) that are now stored centrally and can be deleted from the kiosk.
    document_refs: list[str] = Field(default_factory=list)
