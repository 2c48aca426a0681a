"""Dossiers (ho so): checking a submission against its procedure, the dossier code, the stored shape.

Pure logic, no I/O.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from shared.catalogue import Procedure, missing_documents, unknown_documents, validate_form
from shared.i18n import t
from shared.messages import DossierData, SubmitDossier

RECEIVED = "received"


def format_code(agency_code: str, day: date, seq: int) -> str:
    """`<agency code>-<YYMMDD>-<NNNN>`, e.g. 000.00.19.H47-260105-0001 (e-one-stop regulation)."""
    return f"{agency_code}-{day:%y%m%d}-{seq:04d}"


def review(proc: Procedure | None, sub: SubmitDossier) -> tuple[dict[str, Any], str | None]:
    """A submission -> (clean form as JSON values, None) or ({}, the Vietnamese reason it is refused)."""
    if proc is None:
        return {}, t("intake.rejected.unknown_procedure")
    form = {k: "" if v is None else str(v) for k, v in sub.form.items()}
    clean, errors = validate_form(proc, form)
    if errors:
        return {}, t("intake.rejected.invalid_form", errors=" ".join(errors.values()))
    keys = [d.document_key for d in sub.documents]
    if unknown := unknown_documents(proc, keys):
        return {}, t("intake.rejected.unknown_documents", keys=", ".join(unknown))
    if missing := missing_documents(proc, keys):
        return {}, t("intake.rejected.missing_documents", names="; ".join(d.name for d in missing))
    # Dates become ISO strings: the form is stored as JSONB and travels as JSON.
    return to_jsonable_python(clean), None


def build(sub: SubmitDossier, proc: Procedure, form: dict[str, Any], *, code: str, agency_code: str,
          agency_name: str, received_at: datetime, due: date, kiosk_id: str) -> DossierData:
    return DossierData(
        code=code, submission_id=sub.submission_id, agency_code=agency_code, agency_name=agency_name,
        procedure_code=proc.code, procedure_name=proc.name, applicant=sub.applicant, form=form,
        documents=sub.documents, fee_vnd=proc.fee_vnd, received_at=received_at, due_date=due,
        status=RECEIVED, kiosk_id=kiosk_id,
    )
