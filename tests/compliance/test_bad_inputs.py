"""The bad-input table (docs/bad-inputs.md), checked row by row.

Each row of the table names an entry point, a bad input and the exact one-line error; ``SCENARIOS`` holds, under the
row's id, the call that gives that input. The test of a row reads the expected error from the table itself, so the
documentation and the behaviour cannot drift apart, and ``test_every_row_has_a_scenario_and_back`` fails when a row
has no scenario or a scenario no row. Every row also checks that nothing changed on chain: no dev account sent
anything, and the token's supply, the balances and the register are as they were.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount
from web3 import Web3

from hktoken import (
    ComplianceRules,
    HKDStablecoin,
    HKTokenError,
    Investor,
    InvestorRegistry,
    RWAToken,
    connect,
)
from hktoken.artifacts import ARTIFACTS_DIR
from hktoken.chain import Chain
from hktoken.cli import cli
from hktoken.contracts.base import deploy_contract
from hktoken.testing import nothing_sent
from hktoken.testing.plugin import Kyc


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TABLE = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
DAY = 86_400
PAST = datetime(2020, 1, 1, tzinfo=UTC)
BAD_CHECKSUM = "0x52908400098527886e0F7030069857D2E4169EE7"  # EIP-55's own example, one letter's case changed


@dataclass(frozen=True)
class Row:
    id: str
    entry_point: str
    input: str
    error: str
    on_chain: str


def _cell(text: str) -> str:
    text = text.strip()
    for fence in ("``", "`"):
        if text.startswith(fence) and text.endswith(fence) and len(text) > 2 * len(fence):
            return text[len(fence) : -len(fence)].strip()
    return text


def table_rows() -> list[Row]:
    """The rows of the table in docs/bad-inputs.md (the lines of its one table that start with an id)."""
    rows = []
    for line in TABLE.read_text().splitlines():
        if re.match(r"^\| `[a-z0-9-]+` \|", line):
            cells = [_cell(c) for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            assert len(cells) == 5, f"a row of {TABLE.name} needs 5 cells: {line}"
            rows.append(Row(*cells))
    return rows


ROWS = table_rows()


class _NotANode(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web_server() -> Iterator[str]:
    """A web server on 127.0.0.1 that is not a JSON-RPC node (always stopped)."""
    server = HTTPServer(("127.0.0.1", 0), _NotANode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Ctx:
    chain: Chain
    admin: LocalAccount
    alice: LocalAccount  # verified, holds 100.00
    bob: LocalAccount  # verified, holds nothing, no roles
    carol: LocalAccount  # KYC expired, holds 5.00
    stranger: LocalAccount  # not registered
    token: RWAToken  # 2 decimals
    registry: InvestorRegistry
    coin: HKDStablecoin
    plain: str  # a plain ERC-20 (no ERC-165)
    dead_url: str
    web_url: str
    empty_dir: Path  # no contracts/
    user_dir: Path  # a user's project (an empty contracts/)

    @property
    def names(self) -> dict[str, Any]:
        return {
            "token": self.token.address, "registry": self.registry.address, "coin": self.coin.address,
            "plain": self.plain, "alice": self.alice.address, "bob": self.bob.address, "carol": self.carol.address,
            "stranger": self.stranger.address, "chain_id": self.chain.chain_id, "url": self.chain.rpc_url,
            "dead_url": self.dead_url, "web_url": self.web_url, "empty_dir": self.empty_dir,
            "user_dir": self.user_dir, "shipped": ARTIFACTS_DIR, "spec": REPO / "deploy" / "hk-green-bond.toml",
        }  # fmt: skip

    def dead_chain(self) -> Chain:
        """A chain object whose node has gone away (nothing listens on its port)."""
        w3 = Web3(Web3.HTTPProvider(self.dead_url, exception_retry_configuration=None))
        return Chain(w3, rpc_url=self.dead_url, chain_id=self.chain.chain_id)

    def state(self) -> tuple[object, ...]:
        wallets = (self.admin, self.alice, self.bob, self.carol, self.stranger)
        return (
            self.token.raw.total_supply(),
            tuple(self.token.raw_balance_of(w.address) for w in wallets),
            tuple(self.coin.raw_balance_of(w.address) for w in wallets),
            tuple(self.registry.contains(w.address) for w in wallets),
        )


@pytest.fixture(scope="module")
def ctx(
    chain: Chain,
    accounts: list[LocalAccount],
    kyc: Kyc,
    investor_registry: InvestorRegistry,
    rwa_token_factory: Callable[..., RWAToken],
    hkd_stablecoin: HKDStablecoin,
    web_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Ctx:
    admin, alice, bob, carol, stranger = accounts[0], accounts[1], accounts[2], accounts[3], accounts[8]
    kyc(alice.address, investor_id="HK-A")
    kyc(bob.address, investor_id="HK-B")
    kyc(carol.address, investor_id="HK-C", days=1)
    token = rwa_token_factory(decimals=2)
    token.mint(admin, alice.address, Decimal("100.00"))
    token.mint(admin, carol.address, Decimal("5.00"))
    hkd_stablecoin.mint(admin, alice.address, Decimal(100))
    plain = str(deploy_contract(chain, admin, "PlainERC20", 10**18).address)
    chain.increase_time(2 * DAY)  # carol's KYC has lapsed
    user_dir = tmp_path_factory.mktemp("user-project")
    (user_dir / "contracts").mkdir()
    return Ctx(
        chain, admin, alice, bob, carol, stranger, token, investor_registry, hkd_stablecoin, plain,
        f"http://127.0.0.1:{closed_port()}", web_server, tmp_path_factory.mktemp("empty-project"), user_dir,
    )  # fmt: skip


DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # accounts[0]: the admin
DEV_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # accounts[1]: alice
DEV_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # accounts[2]: bob, no roles
REPO = Path(__file__).resolve().parents[2]


def _cli(*argv: str, env: dict[str, str] | None = None) -> Callable[[Ctx], Result]:
    def run(c: Ctx) -> Result:
        args = [a.format(**c.names) for a in argv]
        return CliRunner().invoke(
            cli, args, prog_name="hktoken", env={"HKTOKEN_KEYSTORE_PASSWORD": None, **(env or {})}
        )

    return run


def _signed(*argv: str, key: str = DEV_KEY_0) -> Callable[[Ctx], Result]:
    """``hktoken ARGV --rpc-url <node>`` signed by ``key`` (``$HKTOKEN_PRIVATE_KEY``; default: the admin's)."""
    return _cli(*argv, "--rpc-url", "{url}", env={"HKTOKEN_PRIVATE_KEY": key})


def _read(*argv: str) -> Callable[[Ctx], Result]:
    """A command that needs no key, against the test node."""
    return _cli(*argv, "--rpc-url", "{url}", env={"HKTOKEN_PRIVATE_KEY": ""})


def _investor(**changes: Any) -> dict[str, Any]:
    return {
        "id": "HK-NEW", "wallets": ["0x00000000000000000000000000000000000000a1"], "country": 344,
        "investor_class": 2, "kyc_expiry": datetime(2100, 1, 1, tzinfo=UTC), **changes,
    }  # fmt: skip


SCENARIOS: dict[str, Callable[[Ctx], object]] = {
    # --- the CLI --------------------------------------------------------------------------------------
    "cli-ping-malformed-url": _cli("ping", "--rpc-url", "ftp://127.0.0.1:8545"),
    "cli-ping-negative-timeout": _cli("ping", "--rpc-url", "{url}", "--timeout", "-1"),
    "cli-ping-not-a-node": _cli("ping", "--rpc-url", "{web_url}"),
    "cli-ping-wrong-chain": _cli("ping", "--rpc-url", "{url}", "--chain-id", "1"),
    "cli-ping-unreachable": _cli("ping", "--rpc-url", "{dead_url}", "--timeout", "2"),
    "cli-account-malformed-key": _cli("account", env={"HKTOKEN_PRIVATE_KEY": "0x1234"}),
    "cli-account-missing-keystore": _cli("account", "--keystore", "/nonexistent.json"),
    "cli-account-unreachable": _cli("account", "--rpc-url", "{dead_url}", env={"HKTOKEN_PRIVATE_KEY": DEV_KEY_1}),
    "cli-node-port-overflow": _cli("node", "--port", "70000"),
    "cli-node-negative-accounts": _cli("node", "--accounts", "-1"),
    "cli-compile-no-contracts": _cli("compile", "--root", "{empty_dir}"),
    "cli-compile-into-shipped": _cli("compile", "--root", "{user_dir}", "--out", "{shipped}"),
    "cli-toolchain-unknown-option": _cli("toolchain", "install", "--x"),
    "cli-unknown-option": _cli("--bogus"),
    # --- the lifecycle commands (issue 9) --------------------------------------------------------------
    "cli-token-mint-malformed-address": _signed("token", "mint", "0x12", "1", "--token", "{token}"),
    "cli-token-mint-too-many-decimals": _signed("token", "mint", "{alice}", "1.001", "--token", "{token}"),
    "cli-token-transfer-too-many-decimals": _signed(
        "token", "transfer", "{bob}", "0.001", "--token", "{token}", key=DEV_KEY_1
    ),
    "cli-token-mint-negative": _signed("token", "mint", "{alice}", "-1.5", "--token", "{token}"),
    "cli-token-mint-not-a-number": _signed("token", "mint", "{alice}", "abc", "--token", "{token}"),
    "cli-token-mint-missing-role": _signed("token", "mint", "{alice}", "1", "--token", "{token}", key=DEV_KEY_2),
    "cli-token-pause-missing-role": _signed("token", "pause", "--token", "{token}", key=DEV_KEY_2),
    "cli-token-mint-wrong-kind": _signed("token", "mint", "{alice}", "1", "--token", "{registry}"),
    "cli-investor-list-wrong-kind": _read("investor", "list", "--registry", "{token}"),
    "cli-investor-add-malformed-wallet": _signed(
        "investor",
        "add",
        "HK-X",
        "--wallet",
        "0x12",
        "--registry",
        "{registry}",
        "--country",
        "344",
        "--class",
        "professional",
        "--kyc-expiry",
        "2030-01-01",
    ),
    "cli-bond-schedule-not-a-bond": _read("bond", "schedule", "--token", "{token}"),
    "cli-bond-push-malformed-holder": _signed("bond", "push", "0x12", "--token", "{token}"),
    "cli-gold-reserve-not-gold": _read("gold", "reserve", "--token", "{token}"),
    "cli-fund-set-nav-not-a-fund": _signed("fund", "set-nav", "1", "--token", "{token}"),
    "cli-status-no-code": _read("status", "--token", "{stranger}"),
    "cli-status-wrong-chain": _read("status", "--token", "{token}", "--chain-id", "1"),
    "cli-captable-unreachable": _cli("captable", "--token", "{token}", "--rpc-url", "{dead_url}"),
    "cli-audit-malformed-address": _read("audit", "--token", "0x12"),
    "cli-deploy-wrong-chain": _signed("deploy", "{spec}", "--chain-id", "1"),
    "cli-deploy-missing-spec": _signed("deploy", "/nonexistent.toml"),
    "cli-investor-import-missing-file": _signed("investor", "import", "/nonexistent.csv", "--registry", "{registry}"),
    "cli-settle-submit-missing-file": _signed("settle", "submit", "/nonexistent.json"),
    "cli-node-state-missing-folder": _cli("node", "--port", "0", "--state", "/nonexistent/x.json"),
    "cli-demo-unknown-asset": _cli("demo", "--asset", "silver"),
    "cli-demo-unreachable": _cli("demo", "--rpc-url", "{dead_url}"),
    "cli-bond-unknown-command": _cli("bond", "frob"),
    # --- connecting ------------------------------------------------------------------------------------
    "py-connect-malformed-url": lambda c: connect("127.0.0.1:8545"),
    "py-connect-not-a-node": lambda c: connect(c.web_url),
    "py-connect-wrong-chain": lambda c: connect(c.chain.rpc_url, expected_chain_id=1),
    "py-connect-unreachable": lambda c: connect(c.dead_url, timeout=2),
    # --- binding wrappers to addresses -----------------------------------------------------------------
    "py-at-malformed-address": lambda c: RWAToken.at(c.chain, "0x1234"),
    "py-at-bad-checksum": lambda c: RWAToken.at(c.chain, BAD_CHECKSUM),
    "py-at-other-chain": lambda c: RWAToken.at(c.chain, c.stranger.address),
    "py-at-wrong-kind": lambda c: RWAToken.at(c.chain, c.registry.address),
    "py-registry-at-wrong-kind": lambda c: InvestorRegistry.at(c.chain, c.token.address),
    "py-coin-at-wrong-kind": lambda c: HKDStablecoin.at(c.chain, c.plain),
    "py-deploy-unknown-contract": lambda c: deploy_contract(c.chain, c.admin, "RWATokn"),
    "py-deploy-decimals-overflow": lambda c: RWAToken.deploy(
        c.chain, c.admin, name="X", symbol="X", decimals=37, registry=c.registry
    ),
    "py-deploy-malformed-registry": lambda c: RWAToken.deploy(
        c.chain, c.admin, name="X", symbol="X", decimals=2, registry="0x12"
    ),
    "py-deploy-registry-wrong-kind": lambda c: RWAToken.deploy(
        c.chain, c.admin, name="X", symbol="X", decimals=2, registry=c.token.address
    ),
    # --- amounts ---------------------------------------------------------------------------------------
    "py-mint-negative": lambda c: c.token.mint(c.admin, c.alice.address, Decimal(-1)),
    "py-mint-overflow": lambda c: c.token.mint(c.admin, c.alice.address, Decimal("1e80")),
    "py-mint-too-many-decimals": lambda c: c.token.mint(c.admin, c.alice.address, Decimal("1.001")),
    "py-mint-float": lambda c: c.token.mint(c.admin, c.alice.address, 1.5),  # type: ignore[arg-type]
    "py-mint-malformed-recipient": lambda c: c.token.mint(c.admin, "alice", 1),
    "py-transfer-negative": lambda c: c.token.transfer(c.alice, c.bob.address, "-5"),
    "py-transfer-too-many-decimals": lambda c: c.token.transfer(c.alice, c.bob.address, "0.001"),
    "py-transfer-more-than-balance": lambda c: c.token.transfer(c.alice, c.bob.address, Decimal(1000)),
    "py-approve-overflow": lambda c: c.token.approve(c.alice, c.bob.address, Decimal("1e80")),
    "py-check-transfer-too-many-decimals": lambda c: c.token.check_transfer(c.alice.address, c.bob.address, "0.001"),
    "py-coin-mint-too-many-decimals": lambda c: c.coin.mint(c.admin, c.alice.address, "0.0000001"),
    "py-coin-transfer-negative": lambda c: c.coin.transfer(c.alice, c.bob.address, -1),
    # --- roles -----------------------------------------------------------------------------------------
    "py-mint-missing-role": lambda c: c.token.mint(c.bob, c.alice.address, 1),
    "py-freeze-missing-role": lambda c: c.token.freeze_partial(c.bob, c.alice.address, 1),
    "py-grant-unknown-role": lambda c: c.token.grant_role(c.admin, "MINTER_ROLE", c.bob.address),
    "py-register-missing-role": lambda c: c.registry.register(c.bob, [_investor()]),
    "py-coin-mint-missing-role": lambda c: c.coin.mint(c.bob, c.alice.address, 1),
    # --- KYC and eligibility ---------------------------------------------------------------------------
    "py-mint-expired-kyc": lambda c: c.token.mint(c.admin, c.carol.address, 1),
    "py-transfer-expired-kyc": lambda c: c.token.transfer(c.carol, c.alice.address, 1),
    "py-transfer-unverified": lambda c: c.token.transfer(c.alice, c.stranger.address, 1),
    "py-register-expired-kyc": lambda c: c.registry.register(c.admin, [_investor(kyc_expiry=PAST)]),
    "py-renew-kyc-past": lambda c: c.registry.renew_kyc(c.admin, "HK-C", PAST),
    # --- data given as dicts and models ----------------------------------------------------------------
    "py-register-bad-country": lambda c: c.registry.register(c.admin, [_investor(country=1000)]),
    "py-register-malformed-wallet": lambda c: c.registry.register(c.admin, [_investor(wallets=["0xabc"])]),
    "py-apply-rules-overlap": lambda c: c.token.apply_rules(
        c.admin, {"allowed_countries": [344], "blocked_countries": [344]}
    ),
    "py-investor-model-country": lambda c: Investor(**_investor(country=1000)),
    "py-rules-model-overlap": lambda c: ComplianceRules(
        allowed_countries=frozenset({344}), blocked_countries=frozenset({344})
    ),
    # --- a node that went away -------------------------------------------------------------------------
    "py-dead-node-read": lambda c: RWAToken(c.dead_chain(), c.token.address).balance_of(c.alice.address),
    "py-dead-node-send": lambda c: RWAToken(c.dead_chain(), c.token.address).transfer(c.alice, c.bob.address, 1),
}


def test_every_row_has_a_scenario_and_back() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    assert sorted(set(ids) - set(SCENARIOS)) == [], "rows of the table without a scenario here"
    assert sorted(set(SCENARIOS) - set(ids)) == [], "scenarios here without a row in the table"


def test_every_row_says_nothing_changed() -> None:
    assert {row.on_chain for row in ROWS} == {"nothing sent, nothing changed"}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_row(row: Row, ctx: Ctx, accounts: list[LocalAccount], request: pytest.FixtureRequest) -> None:
    expected = row.error.format(**ctx.names)
    assert "\n" not in expected
    before = ctx.state()
    block = ctx.chain.w3.eth.block_number
    with nothing_sent(ctx.chain, *accounts):
        if row.id.startswith("cli-"):
            result = SCENARIOS[row.id](ctx)
            assert isinstance(result, Result)
            assert result.exit_code in (1, 2), result.output
            assert result.stdout == ""
            assert result.stderr == expected + "\n"
        else:
            with pytest.raises(HKTokenError) as info:
                SCENARIOS[row.id](ctx)
            assert str(info.value) == expected
    assert ctx.state() == before
    if not request.config.getoption("--hktoken-rpc-url"):  # the plugin's own anvil mines only on a transaction
        assert ctx.chain.w3.eth.block_number == block, "a block was mined"
