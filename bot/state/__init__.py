"""The gateway's own tables: delivery dedupe keys, durable timers and the staff desk's cases.

They hold raw platform ids, delivery addresses and transcripts for staff, so they are gateway
state, not telemetry (``cx_telemetry`` keeps only pseudonymous analytics). Every call runs in
one short transaction and raises :class:`bot.errors.StateUnavailable` when the database is
down: gateway state is never deferred, because a row that exists in one process only could not
be served by another gateway.
"""
