"""Status rules of the portal simulator and its request checks (pure parts)."""
from __future__ import annotations

import json

import pytest

from shared.i18n import t
from simulators.portal.rules import STATUSES, TRANSITIONS, can_move, is_final, next_statuses
from simulators.portal.store import PortalProblem, body_digest, parse_dossier
from tests.unit.portal_sync.samples import dossier_json


def test_staff_transitions_are_the_agreed_ones() -> None:
    """Staff may move a dossier only along the agreed edges."""
    assert next_statuses("received") == ("in_processing", "rejected", "withdrawn")
    assert next_statuses("in_processing") == ("supplement_requested", "result_ready", "rejected")
    assert next_statuses("supplement_requested") == ("in_processing", "rejected", "withdrawn")
    assert next_statuses("result_ready") == ("returned",)
    assert can_move("received", "in_processing")
    assert not can_move("received", "returned")
    assert not can_move("result_ready", "rejected")
    assert not can_move("unknown", "received")


def test_final_statuses_have_no_way_out() -> None:
    """Returned, rejected and withdrawn are final; nothing leads back to received."""
    assert {s for s in STATUSES if is_final(s)} == {"returned", "rejected", "withdrawn"}
    assert all("received" not in targets for targets in TRANSITIONS.values())


def test_every_status_has_a_vietnamese_label() -> None:
    """Each status code the portal uses has a label in the status catalogue."""
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(t(f"status.{s}") for s in STATUSES)


def test_dossier_digest_ignores_key_order() -> None:
    """The same dossier with keys in another order is the same body for idempotency."""
    body = dossier_json()
    shuffled = json.loads(json.dumps(dict(reversed(list(body.items())))))
    assert body_digest(parse_dossier(body)) == body_digest(parse_dossier(shuffled))
    changed = dossier_json(fee_vnd=1)
    assert body_digest(parse_dossier(changed)) != body_digest(parse_dossier(body))


@pytest.mark.parametrize("body", [[], "x", {}, {"code": "X"}])
def test_garbage_dossier_is_refused_with_a_reason(body: object) -> None:
    """A body that is not a dossier is a 400 naming what is wrong."""
    with pytest.raises(PortalProblem) as err:
        parse_dossier(body)
    assert err.value.status == 400 and err.value.reason
