"""The handoff desk: escalation to a person and back.

- :mod:`bot.handoff.router` - the customer side (escalate, relay, cancel, timeout)
- :mod:`bot.handoff.staff` - the staff side (thread replies, claim, resolve, return)
- :mod:`bot.handoff.lifecycle` - steps both sides take when a case ends
- :mod:`bot.handoff.cases` - the case repository (gateway tables)
- :mod:`bot.handoff.staff_desk` - the staff-desk port and its fail-safe use
- :mod:`bot.handoff.values`, :mod:`bot.handoff.texts` - typed values and wording
"""
