"""The compliance fixtures the plugin gives a custodian's own suite, exercised in a separate pytest run."""

from __future__ import annotations

import pytest

CUSTODIAN_SUITE = """
from decimal import Decimal

import pytest

from hktoken import ComplianceRules, TransferRestricted


@pytest.fixture(scope="module")
def bond(rwa_token_factory, kyc, accounts):
    token = rwa_token_factory(decimals=2, rules=ComplianceRules(allowed_countries={344}))
    kyc(accounts[1].address)
    kyc(accounts[2].address, country=702)
    token.mint(accounts[0], accounts[1].address, Decimal(100))
    return token


def test_custodian_moves_a_position(bond, accounts):
    bond.transfer(accounts[1], accounts[0].address, Decimal("25.50"))
    assert bond.raw_balance_of(accounts[1].address) == 7450


def test_isolated_from_the_previous_test(bond, accounts):
    assert bond.raw_balance_of(accounts[1].address) == 10000


def test_refusal_is_typed(bond, accounts):
    with pytest.raises(TransferRestricted) as info:
        bond.transfer(accounts[1], accounts[2].address, Decimal(1))
    assert (info.value.code, info.value.reason) == (7, "recipient country not allowed")


def test_stablecoin_is_not_kyc_gated(hkd_stablecoin, accounts):
    hkd_stablecoin.mint(accounts[0], accounts[5].address, Decimal("10.25"))
    hkd_stablecoin.transfer(accounts[5], accounts[6].address, Decimal("0.25"))
    assert hkd_stablecoin.balance_of(accounts[6].address) == Decimal("0.25")
"""


def test_custodian_suite_gets_a_ready_compliance_stack(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_custodian=CUSTODIAN_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


EXTERNAL_NODE_SUITE = """
def test_runs_on_the_node_it_was_given(chain, hktoken_node, accounts):
    assert hktoken_node is None
    assert chain.chain_id == 5151
    chain.sender.send(accounts[0], accounts[9].address, "0x", value=1)


def test_and_is_isolated_there_too(chain, accounts):
    assert chain.w3.eth.get_balance(accounts[9].address) == 10_000 * 10**18
"""


def test_suite_runs_against_an_external_node(pytester: pytest.Pytester) -> None:
    from hktoken import Anvil

    with Anvil(chain_id=5151) as chain:
        pytester.makepyfile(test_external=EXTERNAL_NODE_SUITE)
        result = pytester.runpytest_subprocess(
            "-q", "-p", "no:cacheprovider", f"--hktoken-rpc-url={chain.rpc_url}", "--hktoken-chain-id=5151"
        )
        result.assert_outcomes(passed=2)
        assert chain.w3.eth.get_balance(chain.w3.eth.accounts[9]) == 10_000 * 10**18  # the node was left as found


def test_external_node_on_the_wrong_chain_fails_clearly(pytester: pytest.Pytester) -> None:
    from hktoken import Anvil

    with Anvil(chain_id=5151) as chain:
        pytester.makepyfile(test_external=EXTERNAL_NODE_SUITE)
        result = pytester.runpytest_subprocess("-q", f"--hktoken-rpc-url={chain.rpc_url}", "--hktoken-chain-id=1")
        result.assert_outcomes(errors=2)
        result.stdout.fnmatch_lines([f"*the node at {chain.rpc_url} is on chain id 5151, not the expected 1*"])


def test_workers_sharing_an_external_node_are_refused_before_any_test(pytester: pytest.Pytester) -> None:
    """Each test reverts the node to its snapshot: xdist workers sharing one node would undo each other's work."""
    pytester.makepyfile(test_external=EXTERNAL_NODE_SUITE)
    result = pytester.runpytest_subprocess("-q", "-n", "2", "--hktoken-rpc-url=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--hktoken-rpc-url: one node serves one pytest process, and -n starts several*"])
    assert "passed" not in result.stdout.str()


def test_each_xdist_worker_runs_on_its_own_anvil(pytester: pytest.Pytester) -> None:
    test = (
        "import os\n\n"
        "def test_{0}(hktoken_node, chain):\n"
        "    print('NODE', os.environ['PYTEST_XDIST_WORKER'], hktoken_node.process.pid, chain.rpc_url)\n"
    )
    pytester.makepyfile(test_a=test.format("a"), test_b=test.format("b"))
    result = pytester.runpytest_subprocess("-q", "-n", "2", "--dist", "loadfile", "-rA")
    result.assert_outcomes(passed=2)
    nodes = {tuple(line.split()[1:]) for line in result.stdout.lines if line.startswith("NODE gw")}
    assert len(nodes) == 2, result.stdout.str()  # two workers, each with its own anvil process and URL
    (worker_a, pid_a, url_a), (worker_b, pid_b, url_b) = sorted(nodes)
    assert (worker_a, worker_b) == ("gw0", "gw1") and pid_a != pid_b and url_a != url_b
