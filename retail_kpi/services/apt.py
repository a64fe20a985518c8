"""Install Debian packages the project needs when their programs are missing.

Used for PostgreSQL's server binaries and Chromium (the browser tests): as root directly,
otherwise through passwordless ``sudo -n``; never prompts (CI has no stdin) and waits for
another apt/dpkg run to release its lock instead of failing on it.

    python -m retail_kpi.services.apt --binary /usr/bin/chromium chromium
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK_TIMEOUT_S = 300


class AptError(RuntimeError):
    """The packages could not be installed; the message says what to do instead."""


def _prefix() -> list[str]:
    if os.geteuid() == 0:
        return []
    if (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        return ["sudo", "-n"]
    raise AptError("not root and no passwordless sudo")


def install(packages: list[str], why: str) -> None:
    """``apt-get update && apt-get install -y <packages>``; AptError with the log tail."""
    manual = f"run `sudo apt-get install -y {' '.join(packages)}`"
    if not shutil.which("apt-get"):
        raise AptError(
            f"{why}, and apt-get is not available: install {' '.join(packages)} by hand."
        )
    try:
        prefix = _prefix()
    except AptError:
        raise AptError(f"{why}; {manual} (not root, no passwordless sudo).") from None
    apt = [
        *prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "-y",
        "--no-install-recommends", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT_S}",
    ]  # fmt: skip
    print(f"{why}: installing Debian's {' '.join(packages)} with apt-get", file=sys.stderr)
    with tempfile.TemporaryFile("w+") as log:
        for args in (["update"], ["install", *packages]):
            rc = subprocess.run(
                [*apt, *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            ).returncode
            if rc != 0:
                log.seek(0)
                tail = "".join(log.readlines()[-5:])
                raise AptError(f"apt-get {args[0]} failed (exit {rc}): {tail.strip()}; {manual}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi.services.apt",
        description="Install Debian packages unless the program they provide is there.",
    )
    parser.add_argument("packages", nargs="+")
    parser.add_argument("--binary", type=Path, required=True, help="skip when this exists")
    args = parser.parse_args(argv)
    if args.binary.exists():
        return 0
    try:
        install(args.packages, f"{args.binary} is missing")
    except AptError as exc:
        print(f"apt: {exc}", file=sys.stderr)
        return 1
    if not args.binary.exists():
        print(f"apt: installed {' '.join(args.packages)}, but {args.binary} is still missing.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
