"""Where the project's PostgreSQL keeps its cluster (pure path logic, no server)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from retail_kpi.services import postgres


def test_a_reachable_checkout_keeps_the_cluster_under_local(monkeypatch):
    # not pytest's tmp_path: its parent /tmp/pytest-of-<user> is private (0700)
    with tempfile.TemporaryDirectory(dir="/tmp") as root:
        Path(root).chmod(0o755)
        state = Path(root) / ".local" / "postgres"
        monkeypatch.setattr(postgres, "STATE_DIR", state)
        assert postgres.data_dir() == state / "data"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_a_private_parent_moves_the_cluster_where_the_server_user_can_reach_it(
    tmp_path, monkeypatch
):
    private = tmp_path / "mktemp"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(postgres, "STATE_DIR", private / "clone" / ".local" / "postgres")
    found = postgres.data_dir()
    assert found.parent.parent == postgres.FALLBACK_ROOT
    assert found.name == "data" and len(found.parent.name) == 12
    assert postgres.data_dir() == found  # the same folder every time for one checkout
