"""Progress bars go to stderr and only where a person watches: forced on here (as if stderr were a terminal), the
stdout of ``--json`` stays one valid JSON document and a text run's lines stay on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hktoken.cli import display

from .conftest import World

GREEN_BOND = Path(__file__).resolve().parents[2] / "deploy" / "hk-green-bond.toml"


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every progress bar is drawn (stderr counts as a terminal; stdout, click's runner buffer, does not)."""
    monkeypatch.setattr(display, "interactive", lambda: True)


def stdout_json(world: World, *args: str) -> Any:
    result = world.run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


@pytest.mark.usefixtures("watched")
def test_captable_and_audit_json_stay_clean_while_the_bar_is_drawn(funded: World) -> None:
    table = stdout_json(funded, "captable", "--token", funded.token.address, "--json")
    assert table["total_supply"] == "1750"
    rows = stdout_json(funded, "audit", "--token", funded.token.address, "--format", "json")
    assert [row["event"] for row in rows].count("Transfer") == 4


@pytest.mark.usefixtures("watched")
def test_deploy_json_and_text_stay_on_stdout_while_the_bar_is_drawn(world: World, tmp_path: Path) -> None:
    before = world.block()
    result = stdout_json(world, "deploy", str(GREEN_BOND), "--out", str(tmp_path), "--json")
    assert result["sent"] == world.block() - before
    again = world.run("deploy", str(GREEN_BOND), "--out", str(tmp_path))
    assert again.exit_code == 0, (again.stdout, again.stderr, again.exception)
    assert "deploying hk-green-bond" in again.stderr  # the bar was drawn, on stderr
    lines = again.stdout.splitlines()
    assert lines[-1].startswith(f"{len(lines) - 1} steps: 0 sent, 0 resumed, {len(lines) - 1} already done")
