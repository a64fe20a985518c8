"""Container health check: exit 0 when a URL answers 2xx, 1 otherwise.

Python instead of curl so that the slim images need no extra package.
Usage: ``python healthcheck.py http://localhost:8080/health``
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_S = 8


def main(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            return 0 if 200 <= resp.status < 300 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
