#!/usr/bin/env bash
# Prints the path of a working CPython 3.10 interpreter: PATH first, then pyenv.
# rasa 3.6, rasa-sdk 3.6 and python-telegram-bot 22 only share 3.10, so nothing else will do.
set -u
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

for candidate in python3.10 python3 python; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if is_310 "$path"; then echo "$path"; exit 0; fi
done

root=""
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
for dir in "$root" "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
  [ -n "$dir" ] && [ -d "$dir/versions" ] || continue
  for path in $(ls -d "$dir"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
    if is_310 "$path"; then echo "$path"; exit 0; fi
  done
done

echo "error: CPython 3.10 is required (Rasa 3.6 does not run on 3.11+); install it, e.g. 'pyenv install 3.10', and run 'make setup' again." >&2
exit 1
