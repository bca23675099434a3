"""The pytest plugin (``pytest11`` entry point), run for real in a child pytest with ``pytester``."""

from __future__ import annotations

import re

import pytest

from ._support import process_gone

MODULE_A = """
from pathlib import Path

import pytest

ETH = 10**18
RECIPIENT = "0x00000000000000000000000000000000000000AB"


@pytest.fixture(scope="module")
def shared_payment(chain, accounts):
    return chain.sender.send(accounts[0], RECIPIENT, "0x", value=12_345)


def test_1_sends_ether(chain, w3, accounts, shared_payment, hktoken_node):
    Path(__file__).with_name("node.pid").write_text(str(hktoken_node.process.pid))
    assert hktoken_node.url.startswith("http://127.0.0.1:")
    receipt = chain.sender.send(accounts[1], accounts[2].address, "0x", value=ETH)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(accounts[2].address) == 10_001 * ETH


def test_2_sees_a_fresh_chain(w3, accounts, shared_payment):
    assert w3.eth.get_balance(accounts[2].address) == 10_000 * ETH
    assert w3.eth.get_balance(accounts[1].address) == 10_000 * ETH
    assert w3.eth.get_transaction_count(accounts[1].address) == 0


def test_3_sees_the_module_fixture(w3, shared_payment):
    assert shared_payment["status"] == 1
    assert w3.eth.get_balance(RECIPIENT) == 12_345
"""

MODULE_B = """
import pytest

RECIPIENT = "0x00000000000000000000000000000000000000AB"
KEPT = "0x00000000000000000000000000000000000000cD"


def test_module_a_left_nothing_behind(w3, accounts):
    assert w3.eth.get_balance(RECIPIENT) == 0
    assert w3.eth.get_transaction_count(accounts[0].address) == 0
    assert w3.eth.block_number == 0


@pytest.mark.hktoken_no_isolation
def test_kept_change(chain, accounts):
    chain.sender.send(accounts[3], KEPT, "0x", value=777)


def test_kept_change_is_visible_in_its_module(w3):
    assert w3.eth.get_balance(KEPT) == 777
"""

MODULE_C = """
KEPT = "0x00000000000000000000000000000000000000cD"


def test_kept_change_ended_with_its_module(w3, accounts):
    assert w3.eth.get_balance(KEPT) == 0
    assert w3.eth.get_transaction_count(accounts[3].address) == 0
"""

NO_CHAIN = """
def test_plain_python():
    assert sum(range(5)) == 10
"""


def test_chain_fixtures_isolate_tests_and_modules(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=MODULE_A, test_b=MODULE_B, test_c=MODULE_C)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--setup-show", "-v", timeout=180)
    result.assert_outcomes(passed=7)
    output = result.stdout.str()
    assert len(re.findall(r"SETUP    S hktoken_node\b", output)) == 1  # one node for the whole session
    pid = int((pytester.path / "node.pid").read_text())
    assert process_gone(pid)  # the session node was stopped with the session


def test_tests_without_the_chain_start_no_node(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_plain=NO_CHAIN)
    # were a node started, this unusable anvil would turn the run into an error
    monkeypatch.setenv("HKTOKEN_ANVIL", str(pytester.path / "no-anvil-here"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--setup-show", timeout=120)
    result.assert_outcomes(passed=1)
    assert "hktoken_node" not in result.stdout.str()
    assert "_hktoken_module_isolation" in result.stdout.str()  # the plugin was loaded, and stood aside


def test_a_broken_toolchain_fails_chain_tests_with_the_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_needs_chain="def test_uses_chain(w3):\n    assert w3.eth.chain_id == 31337\n")
    bogus = pytester.path / "no-anvil-here"
    monkeypatch.setenv("HKTOKEN_ANVIL", str(bogus))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*ToolchainError: HKTOKEN_ANVIL={bogus} is not a working anvil binary: point HKTOKEN_ANVIL at*"]
    )
