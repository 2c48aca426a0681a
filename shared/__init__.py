"""The kiosk's shared library: message contracts, the bus, outbox/inbox, db, settings, logging."""
