"""Local outbox: telemetry events wait here, one JSON file each, while the database is down.

A file is written under a temporary name, fsync'ed and renamed, so a crash never leaves half
an event. Names start with a nanosecond timestamp, so replay keeps the order events happened
in. Events that the database rejects for a reason other than an outage go to ``dead/`` for a
human to look at: nothing is deleted without being applied.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OutboxEntry:
    """One waiting event: its file, its id and the operation with its arguments."""

    path: Path
    event_id: str
    op: str
    args: dict[str, Any]


class Outbox:
    """A directory of pending events. No I/O until an event is added or read."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def add(self, op: str, args: dict[str, Any], dead: bool = False) -> str:
        """Durably store one event (in ``dead/`` when the database refused it); returns its id."""
        event_id = uuid.uuid4().hex
        directory = self.directory / "dead" if dead else self.directory
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{event_id}.json"
        tmp = directory / f".{name}.tmp"
        data = json.dumps({"id": event_id, "op": op, "args": args}, default=str)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / name)
        return event_id

    def pending_count(self) -> int:
        """How many events wait (one directory scan, files not read)."""
        try:
            return sum(1 for n in os.listdir(self.directory) if n.endswith(".json") and n[0] != ".")
        except FileNotFoundError:
            return 0

    def has_pending(self) -> bool:
        """True when at least one event waits."""
        return self.pending_count() > 0

    def entries(self) -> Iterator[OutboxEntry]:
        """Waiting events, oldest first. Unreadable files are moved to ``dead/``."""
        try:
            names = sorted(
                n for n in os.listdir(self.directory) if n.endswith(".json") and n[0] != "."
            )
        except FileNotFoundError:
            return
        for name in names:
            path = self.directory / name
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                yield OutboxEntry(path, str(raw["id"]), str(raw["op"]), dict(raw["args"]))
            except FileNotFoundError:
                continue  # another process replayed it
            except (ValueError, KeyError, TypeError):
                self.bury(path)

    def all_files(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Every stored event, pending and dead, with its arguments (for erasure)."""
        for directory in (self.directory, self.directory / "dead"):
            try:
                names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
            except FileNotFoundError:
                continue
            for name in names:
                path = directory / name
                try:
                    raw = json.loads(path.read_text(encoding="utf-8"))
                    args = raw.get("args") if isinstance(raw, dict) else None
                    yield path, args if isinstance(args, dict) else {}
                except FileNotFoundError:
                    continue
                except ValueError:
                    yield path, {}

    def dead_count(self) -> int:
        """How many refused events wait in ``dead/`` for a human."""
        try:
            return sum(1 for n in os.listdir(self.directory / "dead") if n.endswith(".json"))
        except FileNotFoundError:
            return 0

    def done(self, entry: OutboxEntry) -> None:
        """Remove an applied event."""
        entry.path.unlink(missing_ok=True)

    def bury(self, path: Path) -> None:
        """Move an event the database refuses to ``dead/`` (kept, not replayed)."""
        dead = self.directory / "dead"
        dead.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, dead / path.name)

    @contextlib.contextmanager
    def replay_lock(self) -> Iterator[bool]:
        """Yields True if this process may replay now (one replayer per machine at a time)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
