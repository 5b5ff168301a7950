"""Detractor alerts: a low CSAT answer becomes a card in the CX alerts channel within a minute,
once per survey response and at most once per customer in a window, with a Follow up button
that opens a case on the staff desk for that customer (``follow_up.py``).

The trigger is a poll of the telemetry (``trigger.py``): the answer is written by the action
server, possibly through its outbox, so any gateway reading the database sees every answer
whichever process recorded it; the gateway's ``detractor_alerts`` table makes the alert
happen once across gateways and redeliveries.
"""
