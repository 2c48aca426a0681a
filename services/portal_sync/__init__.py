"""portal_sync: delivers stored dossiers to the Public Service Portal and brings their statuses back.

    dossier.received --> [deliveries table] --delivery loop--> portal REST (Idempotency-Key)
                                                   +--> dossier.delivered (outbox)
    portal change feed --status poller (cursor)--> dossier.status_changed (outbox)

State in PostgreSQL, schema ``portal_sync``. The portal may be away for hours: dossiers wait in the
deliveries table and are retried with back-off; the idempotency key (the submission id) makes a
repeated delivery land once.
"""
