"""Simulator of the Public Service Portal (Cổng dịch vụ công): REST API, staff page, failure modes.

The real portal is not reachable from a development machine; this one behaves like it where the
kiosk depends on it: dossiers received idempotently (by Idempotency-Key), documents with a SHA-256
check, staff moving dossiers through statuses, and a change feed (seq-ordered) the kiosk polls.
State lives in PostgreSQL, schema ``portal_sim``.
"""
