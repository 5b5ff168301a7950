"""``python -m actions.verification migrate`` creates or upgrades the verification tables;
``python -m actions.verification mail-location`` prints where the shop's mail goes (the
maildir to read codes from when no SMTP server is set)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from actions.mail import transport_from_settings
from actions.settings import ConfigError, Settings
from actions.verification.database import VerificationDatabase
from actions.verification.errors import VerificationError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.verification")
    parser.add_argument("command", choices=("migrate", "mail-location"))
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "migrate":
            db = VerificationDatabase(settings.verification_db_url)
            db.migrate()
            db.dispose()
            print("verification tables are up to date")
        else:
            print(transport_from_settings(settings).describe())
    except (ConfigError, VerificationError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
