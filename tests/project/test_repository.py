"""The repository keeps its promises: CI runs the README's test command, examples run, artifacts ship."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from hktoken.artifacts import ArtifactStore
from hktoken.cli import cli

ROOT = Path(__file__).resolve().parents[2]


TEST_COMMAND_END = "&& pytest -n auto --dist loadfile"


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = _readme_commands()
    test_commands = [c for c in commands if c.endswith(TEST_COMMAND_END)]
    assert len(test_commands) == 1, commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_commands[0] in ci_lines
    assert "hktoken compile --check" in ci_lines


def test_readme_main_command_compiles_and_runs_the_demo() -> None:
    main = [c for c in _readme_commands() if not c.endswith(TEST_COMMAND_END)]
    assert main == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -q -e ".[dev]" && '
        "hktoken toolchain install && hktoken compile && hktoken demo"
    ]


def test_every_contract_of_the_issue_ships_as_a_deployable_artifact() -> None:
    store = ArtifactStore()
    for name in ("InvestorRegistry", "RWAToken", "RWATokenAdmin", "HKDStablecoin", "PlainERC20"):
        artifact = store.get(name)
        assert artifact.deployable, name
        assert artifact.compiler["settings"]["evmVersion"] == "prague"
    for name in ("IERC7943Fungible", "IERC1404", "IInvestorRegistry", "IRWAToken", "IRWATokenAdmin", "RWATokenBase"):
        assert not store.get(name).deployable


SIZE_BUDGET = 23_040  # EIP-170's 24,576 runtime bytes less 1,536 of headroom


def test_every_deployable_contract_meets_the_size_budget() -> None:
    """Every deployable, asset tokens included, keeps at least 1,536 bytes of EIP-170 headroom."""
    store = ArtifactStore()
    sizes = {
        name: (len(store.get(name).deployed_bytecode) - 2) // 2 for name in store.names() if store.get(name).deployable
    }
    assert {"InvestorRegistry", "RWAToken", "RWATokenAdmin", "HKDStablecoin", "ExtensionProbeToken"} <= set(sizes)
    over = {name: size for name, size in sizes.items() if size > SIZE_BUDGET}
    assert not over, f"over the {SIZE_BUDGET:,}-byte budget: {over}"


@pytest.mark.slow
def test_quickstart_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alice -> carol (SG retail): code 7, 'recipient country not allowed'" in out
    assert "refused as expected: TransferRestricted(code=7, reason='recipient country not allowed')" in out
    events = "['TokensUnfrozen', 'Frozen', 'Transfer', 'ForcedTransfer']"
    assert f"forced transfer events: {events}; bob frozen now 2000.00" in out
    assert "final: alice 48000.00, bob 2000.00, supply 50000.00" in out


def test_readme_python_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    code = re.search(r"```python\n(from datetime.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert code is not None
    exec(compile(code.group(1), "README.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [
        "50000.00",
        "5000000",
        "TransferCheck(code=7, reason='recipient country not allowed')",
        "True recipient country not allowed",
        "ISSUER_ROLE",
        "100.00",
    ]


@pytest.mark.slow
def test_readme_testing_example_passes_under_the_plugin(tmp_path: Path) -> None:
    guide = r"```python\n(from decimal import Decimal\n\nfrom hktoken.testing import.*?)```"
    code = re.search(guide, (ROOT / "README.md").read_text(), re.DOTALL)
    assert code is not None
    (tmp_path / "test_readme_example.py").write_text(code.group(1))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("2 passed")


def _commands(group: click.Group, prefix: str = "") -> dict[str, str]:
    """Every command of the click app, by its full name (groups too), with its one-line help."""
    found: dict[str, str] = {}
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found[full] = command.get_short_help_str(110)
        if isinstance(command, click.Group):
            found.update(_commands(command, full + " "))
    return found


def test_readme_cli_reference_is_the_real_command_tree() -> None:
    section = (ROOT / "README.md").read_text().split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z -]+)` \| (.*) \|$", section, re.MULTILINE))
    real = {name: text for name, text in _commands(cli).items() if name not in ("token documents", "token rules")}
    assert rows == real
