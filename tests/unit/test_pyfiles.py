"""The --py-files zip: reproducible, importable, rebuilt only when the code changed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from retail_kpi import pyfiles


def _package(root: Path, name: str, body: str) -> Path:
    pkg = root / name
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "__init__.py").write_text(body)
    (pkg / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    (pkg / "data.yaml").write_text("a: 1\n")
    return pkg


def test_zip_is_byte_reproducible_and_skips_bytecode(tmp_path: Path) -> None:
    pkg = _package(tmp_path / "src", "demo_pkg", "VALUE = 1\n")
    a = pyfiles.build(tmp_path / "a.zip", packages=[pkg])
    b = pyfiles.build(tmp_path / "b.zip", packages=[pkg])
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert sorted(zf.namelist()) == ["demo_pkg/__init__.py", "demo_pkg/data.yaml"]


def test_zip_is_importable_without_the_source_tree(tmp_path: Path) -> None:
    path = pyfiles.build(tmp_path / "p.zip", packages=[_package(tmp_path / "s", "zpkg", "V = 7\n")])
    code = "import zpkg; print(zpkg.V, zpkg.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.split()
    assert out[0] == "7" and out[1].startswith(str(path))


def test_default_zip_holds_the_project_packages(tmp_path: Path) -> None:
    with zipfile.ZipFile(pyfiles.build(tmp_path / "r.zip")) as zf:
        names = set(zf.namelist())
    assert {"retail_kpi/__init__.py", "retail_kpi/config.py", "retail_kpi/pyfiles.py"} <= names
    assert "spark_jobs/__init__.py" in names
    assert not any(n.startswith("simulator/") for n in names)  # the source, not the pipeline


def test_ensure_rebuilds_only_when_sources_change(tmp_path: Path) -> None:
    pkg = _package(tmp_path / "src", "epkg", "V = 1\n")
    out = pyfiles.build(tmp_path / "e.zip", packages=[pkg])
    before = out.stat().st_mtime_ns
    assert pyfiles.ensure(out, packages=[pkg]) == out
    assert out.stat().st_mtime_ns == before  # up to date: not rewritten
    (pkg / "__init__.py").write_text("V = 2\n")
    pyfiles.ensure(out, packages=[pkg])
    with zipfile.ZipFile(out) as zf:
        assert zf.read("epkg/__init__.py") == b"V = 2\n"
