"""Atomic, idempotent writes: a partition appears whole or not at all.

A partition is written into a hidden sibling folder (``.`` prefix: Spark and the
cleaning job skip it) and renamed into place; a rerun replaces the previous partition.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path


def write_partition(final_dir: Path, files: dict[str, Iterable[bytes | memoryview]]) -> None:
    """Write ``files`` (name -> byte chunks) as the whole content of ``final_dir``."""
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = final_dir.parent / f".{final_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, chunks in files.items():
            with open(tmp / name, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
        replace_folder(tmp, final_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def replace_folder(new: Path, final_dir: Path) -> None:
    """Put the folder ``new`` in the place of ``final_dir`` (renames: same file system)."""
    if final_dir.exists():
        old = final_dir.parent / f".{final_dir.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(final_dir, old)
        os.rename(new, final_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, final_dir)


def manifest_text(payload: dict) -> str:
    """JSON with one defect entry per line: greppable, and fast (the C encoder, no indent)."""
    head = {k: v for k, v in payload.items() if k != "defects"}
    entries = ",\n".join(json.dumps(e, ensure_ascii=False) for e in payload.get("defects", []))
    body = f"[\n{entries}\n]" if entries else "[]"
    return json.dumps(head, ensure_ascii=False)[:-1] + f', "defects": {body}}}\n'


def write_json(path: Path, payload: dict) -> None:
    """Write the manifest atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.write_text(manifest_text(payload), encoding="utf-8")
    os.replace(tmp, path)
