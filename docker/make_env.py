"""Write docker/.env from docker/.env.example with a fresh random value for every secret.

``make compose-env`` runs it. It never overwrites an existing file (rotating secrets
on a running stack needs the steps in docs/DEPLOY.md), and it needs only the standard
library, so it works before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKEN_BYTES = 32


def secret_for(name: str) -> str:
    """A URL-safe random value; a Fernet key (32 random bytes, base64) for Airflow's."""
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(TOKEN_BYTES)


def render(example: str) -> str:
    """The example text with each empty ``NAME=`` line given a random value."""
    out = []
    for line in example.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#") and not value.strip():
            line = f"{name}={secret_for(name.strip())}"
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", type=Path, default=HERE / ".env.example")
    parser.add_argument("--out", type=Path, default=HERE / ".env")
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"{args.out} exists; not overwriting it (delete it first to regenerate).")
        return 0
    args.out.write_text(render(args.example.read_text()))
    args.out.chmod(0o600)
    print(f"wrote {args.out} with random secrets (keep it out of git)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
