"""pytest plugin, registered through the ``pytest11`` entry point: installing hktoken gives any test
suite a session anvil and per-test chain isolation.

Fixtures
  ``hktoken_node``  the session's node (an :class:`~hktoken.chain.anvil.Anvil`, or ``None`` with --hktoken-rpc-url)
  ``chain``         the :class:`~hktoken.chain.connection.Chain` (sender, decoder, snapshots)
  ``w3``            its ``Web3``
  ``accounts``      the funded dev accounts (``LocalAccount``; keys never printed)

Isolation: every test that uses the chain runs inside an ``evm_snapshot``/``evm_revert`` pair, and so
does every test module, so module-scoped deployments are shared by a module's tests and never leak
into the next module. Tests that do not touch the chain never start a node.
Mark a test ``@pytest.mark.hktoken_no_isolation`` to keep its changes (for the rest of its module).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from hktoken.chain.anvil import Anvil
from hktoken.chain.connection import Chain, connect
from hktoken.chain.signers import dev_accounts

CHAIN_FIXTURES = frozenset({"chain", "w3", "accounts", "hktoken_node"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hktoken")
    group.addoption(
        "--hktoken-rpc-url",
        default=None,
        help="Run chain tests against this JSON-RPC node (it must support evm_snapshot/evm_revert) "
        "instead of starting anvil.",
    )
    group.addoption("--hktoken-chain-id", type=int, default=None, help="Expected chain id of --hktoken-rpc-url.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hktoken_no_isolation: keep this test's chain changes")


def _uses_chain(item: pytest.Item) -> bool:
    return bool(CHAIN_FIXTURES.intersection(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session")
def hktoken_node(request: pytest.FixtureRequest) -> Iterator[Anvil | None]:
    """The session's anvil (stopped at the end of the session), or None for an external node."""
    if request.config.getoption("--hktoken-rpc-url"):
        yield None
        return
    node = Anvil()
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest, hktoken_node: Anvil | None) -> Chain:
    """The Chain every test of the session shares."""
    if hktoken_node is not None:
        assert hktoken_node.chain is not None
        return hktoken_node.chain
    url = request.config.getoption("--hktoken-rpc-url")
    return connect(url, expected_chain_id=request.config.getoption("--hktoken-chain-id"))


@pytest.fixture(scope="session")
def w3(chain: Chain) -> Web3:
    """The session chain's Web3."""
    return chain.w3


@pytest.fixture(scope="session")
def accounts(hktoken_node: Anvil | None) -> list[LocalAccount]:
    """Funded dev accounts (anvil's test mnemonic)."""
    return hktoken_node.accounts if hktoken_node is not None else dev_accounts()


@pytest.fixture(scope="module", autouse=True)
def _hktoken_module_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    items = [i for i in request.session.items if i.module is request.module]  # type: ignore[attr-defined]
    if not any(_uses_chain(item) for item in items):
        yield
        return
    chain_: Chain = request.getfixturevalue("chain")
    snapshot = chain_.snapshot()
    yield
    chain_.revert(snapshot)


@pytest.fixture(autouse=True)
def _hktoken_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _uses_chain(request.node) or request.node.get_closest_marker("hktoken_no_isolation"):
        yield
        return
    chain_: Chain = request.getfixturevalue("chain")
    snapshot = chain_.snapshot()
    yield
    chain_.revert(snapshot)
