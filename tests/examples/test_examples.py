"""Every script in examples/ runs, in a subprocess, and prints the figures it promises (so none can rot)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hktoken import Anvil, dev_accounts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 300


def run_example(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, env=env,
    )  # fmt: skip


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.slow
def test_bond_coupons() -> None:
    out = lines_of(run_example("bond_coupons.py"))
    assert "issued: alice 6000, bob 3000, broker 1000" in out
    assert any(line.endswith("coupon 0 recorded, funded with HK$190,000.00") for line in out)
    assert "alice claimed HK$114,000.00" in out
    assert "the agent pushed coupon 0: bob HK$57,000.00, broker HK$19,000.00" in out
    assert "redeemed: bond supply 0, holders 0" in out
    finals = [line for line in out if line.startswith("final ")]
    assert [line.split(": ", 1)[1].split(" ", 2)[::2] for line in finals[:3]] == [
        ["0", "HK$6,456,000.00"],
        ["0", "HK$3,228,000.00"],
        ["0", "HK$1,076,000.00"],
    ]
    assert finals[3] == "final paying agent: HK$0.00"


@pytest.mark.slow
def test_gold_bars() -> None:
    out = lines_of(run_example("gold_bars.py"))
    assert "reserve 1,209.7140525 oz in 3 bars" in out
    assert "the auditor attested 1,209.7140525 oz" in out
    assert "minted: alice 800 oz, bob 300 oz; headroom 109.7140525 oz" in out
    assert "mint of 110.7140525 oz refused: TransferRestricted(code=72, reason='mint exceeds gold reserve')" in out
    assert "supply still 1,100 oz" in out
    assert "the custodian released bar HKAU-0001: request #1 FULFILLED" in out
    assert out[-3:] == [
        "final alice: 399.9150125 oz",
        "final bob: 300 oz",
        "final supply 699.9150125 oz, reserve 809.629065 oz in 2 bars, reserve ratio 1.156753392255606176",
    ]


@pytest.mark.slow
def test_etf_creation_redemption() -> None:
    out = lines_of(run_example("etf_creation_redemption.py"))
    assert "NAV HK$10 published for epoch 1: needs confirmation False" in out
    assert "AP claimed 3,000 shares (cost HK$30,000.00, fee HK$30.00, refund HK$4,970.00)" in out
    assert "NAV HK$10.60 published for epoch 2: needs confirmation True" in out
    assert "NAV HK$10.60 confirmed by the NAV confirmer" in out
    assert "epoch 2 struck at HK$10.60" in out
    assert "AP claimed HK$10,578.80 (proceeds HK$10,600.00 less fee HK$21.20)" in out
    assert out[-2:] == [
        "final AP: 2,000 shares, HK$30,548.80",
        "final fund: supply 2,000 shares, cash account HK$1,019,451.20",
    ]


@pytest.mark.slow
def test_dvp_broker() -> None:
    out = lines_of(run_example("dvp_broker.py"))
    settled = "seller 500 HKGB28 HK$500,625.00, buyer 500 HKGB28 HK$499,375.00, stranger 0 HKGB28 HK$1,000,000.00"
    assert any(line.startswith("the broker settled it in block ") and line.endswith(settled) for line in out)
    assert (
        "trade to the unverified stranger refused: TransferRestricted(code=3, reason='recipient not verified')" in out
    )
    assert "nothing moved: True, both nonces still free: True" in out
    assert out[-1] == f"final: {settled}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "last_line_start"),
    [
        ("bond_coupons.py", "final paying agent: HK$0.00"),
        ("gold_bars.py", "final supply 699.9150125 oz, reserve 809.629065 oz in 2 bars"),
        ("etf_creation_redemption.py", "final fund: supply 2,000 shares, cash account HK$1,019,451.20"),
        ("dvp_broker.py", "final: seller 500 HKGB28 HK$500,625.00, buyer 500 HKGB28 HK$499,375.00"),
    ],
)  # fmt: skip
def test_an_example_runs_against_a_node_given_by_url_with_the_issuers_key_from_the_environment(
    script: str, last_line_start: str
) -> None:
    issuer = dev_accounts(1)[0]
    with Anvil() as chain:
        env = {**os.environ, "EXAMPLE_ISSUER_KEY": issuer.key.hex()}
        before = chain.w3.eth.get_transaction_count(issuer.address)
        out = lines_of(run_example(script, "--rpc-url", chain.rpc_url, "--private-key-env", "EXAMPLE_ISSUER_KEY",
                                   env=env))  # fmt: skip
        assert out[-1].startswith(last_line_start)
        assert chain.w3.eth.get_transaction_count(issuer.address) > before  # it ran on this node, as the issuer


@pytest.mark.slow
def test_the_custodian_test_suite_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/custodian_tests", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("6 passed in ")


def test_the_main_suite_does_not_collect_the_custodian_tests() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert config["testpaths"] == ["tests"]  # examples/custodian_tests runs only in its own session (above)


def test_a_bad_rpc_url_is_one_line_and_a_non_zero_exit() -> None:
    result = run_example("gold_bars.py", "--rpc-url", "http://127.0.0.1:1")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot reach the JSON-RPC node at http://127.0.0.1:1 (")
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_key_variable_is_one_line_and_a_non_zero_exit() -> None:
    env = {k: v for k, v in os.environ.items() if k != "EXAMPLE_NO_SUCH_KEY"}
    result = run_example("bond_coupons.py", "--rpc-url", "http://127.0.0.1:1", "--private-key-env",
                         "EXAMPLE_NO_SUCH_KEY", env=env)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: environment variable EXAMPLE_NO_SUCH_KEY is not set: export EXAMPLE_NO_SUCH_KEY=<hex private key> "
        "(or use a keystore file)"
    ]


def test_examples_use_only_the_public_api() -> None:
    scripts = sorted(EXAMPLES.rglob("*.py"))
    assert {p.name for p in scripts} >= {"bond_coupons.py", "gold_bars.py", "etf_creation_redemption.py",
                                          "dvp_broker.py", "test_custody.py"}  # fmt: skip
    private = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.module}"
        for path in scripts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("hktoken")
        and node.module not in ("hktoken", "hktoken.testing")
    ]
    assert private == []
