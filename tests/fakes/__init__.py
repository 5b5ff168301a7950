"""Fakes of the outside world the tests talk to as real servers (STYLE.md 11)."""
