"""The CLI suite's world: one registry and one token per module, deployed with the Python API on the session anvil
(the plugin's node: port 0, always stopped; every test is snapshotted), and a runner that invokes the real ``hktoken``
command in-process with click's CliRunner (a few tests run it as a subprocess too).

Duties are spread as in production: [0] admin and registrar, [1] issuer, [2] agent, [3] pauser, [4] compliance,
[5] treasury; [6] ALICE, [7] BOB, [8] and [9] the two wallets of the omnibus BROKER. An extra key (never funded on
the register) is CAROL, an unregistered buyer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from hktoken import Investor, InvestorClass, InvestorRegistry, RWAToken, TokenRoles
from hktoken.chain import Chain
from hktoken.cli import cli

KYC_EXPIRY = datetime(2031, 1, 1, tzinfo=UTC)
KEY_ENV = "HKTOKEN_PRIVATE_KEY"


@dataclass
class World:
    chain: Chain
    registry: InvestorRegistry
    token: RWAToken
    accounts: Sequence[LocalAccount]

    @property
    def admin(self) -> LocalAccount:
        return self.accounts[0]

    @property
    def issuer(self) -> LocalAccount:
        return self.accounts[1]

    @property
    def agent(self) -> LocalAccount:
        return self.accounts[2]

    @property
    def pauser(self) -> LocalAccount:
        return self.accounts[3]

    @property
    def compliance(self) -> LocalAccount:
        return self.accounts[4]

    @property
    def treasury(self) -> LocalAccount:
        return self.accounts[5]

    @property
    def alice(self) -> LocalAccount:
        return self.accounts[6]

    @property
    def bob(self) -> LocalAccount:
        return self.accounts[7]

    @property
    def broker1(self) -> LocalAccount:
        return self.accounts[8]

    @property
    def broker2(self) -> LocalAccount:
        return self.accounts[9]

    def run(self, *args: str, signer: LocalAccount | None = None, env: dict[str, str] | None = None) -> Result:
        """``hktoken ARGS --rpc-url <node>`` in-process, signed by ``signer`` (default: the admin)."""
        environment = {KEY_ENV: (signer or self.admin).key.hex(), **(env or {})}
        result = CliRunner().invoke(cli, [*args, "--rpc-url", self.chain.rpc_url], env=environment, prog_name="hktoken")
        self.chain.sender.reset_nonces()  # the CLI sent with its own connection
        return result

    def q(self, *args: str) -> Result:
        """A read-only command (no key in the environment: it must not need one)."""
        result = CliRunner().invoke(
            cli, [*args, "--rpc-url", self.chain.rpc_url], env={KEY_ENV: ""}, prog_name="hktoken"
        )
        return result

    def last_tx(self, back: int = 0) -> str:
        """``tx 0x… (block N, gas G)`` of the transaction ``back`` transactions before the last one mined (a
        pipelined batch may share a block: transactions are counted, not blocks)."""
        newest_first: list[Any] = []
        number = self.chain.w3.eth.block_number
        while len(newest_first) <= back:
            assert number >= 0, f"fewer than {back + 1} transactions on the chain"
            newest_first += reversed(self.chain.w3.eth.get_block(number)["transactions"])
            number -= 1
        tx = newest_first[back]
        receipt = self.chain.w3.eth.get_transaction_receipt(tx)
        return f"tx {HexBytes(tx).to_0x_hex()} (block {receipt['blockNumber']}, gas {receipt['gasUsed']})"

    def nonces(self) -> list[int]:
        return [self.chain.w3.eth.get_transaction_count(a.address) for a in self.accounts]

    def block(self) -> int:
        return int(self.chain.w3.eth.block_number)


def investor(investor_id: str, *wallets: LocalAccount, omnibus: bool = False, country: int = 344,
             klass: InvestorClass = InvestorClass.PROFESSIONAL) -> Investor:  # fmt: skip
    return Investor(
        id=investor_id,
        wallets=[w.address for w in wallets],
        country=country,
        investor_class=klass,
        kyc_expiry=KYC_EXPIRY,
        omnibus=omnibus,
    )


@pytest.fixture(scope="module")
def world(chain: Chain, accounts: Sequence[LocalAccount]) -> World:
    """Registry + a 2-decimal token HKGB with separated duties; ALICE, BOB and the omnibus BROKER registered."""
    admin = accounts[0]
    registry = InvestorRegistry.deploy(chain, admin)
    token = RWAToken.deploy(
        chain,
        admin,
        name="HK Green Bond",
        symbol="HKGB",
        decimals=2,
        registry=registry,
        treasury=accounts[5].address,
        roles=TokenRoles(
            issuers=[accounts[1].address],
            agents=[accounts[2].address],
            pausers=[accounts[3].address],
            compliance_admins=[accounts[4].address],
        ),
    )
    registry.register(
        admin,
        [
            investor("ALICE", accounts[6]),
            investor("BOB", accounts[7], country=702, klass=InvestorClass.RETAIL),
            investor("BROKER", accounts[8], accounts[9], omnibus=True),
        ],
    )
    return World(chain, registry, token, accounts)


@pytest.fixture(scope="module")
def funded(world: World) -> World:
    """The world with ALICE 1000, BOB 250 and BROKER 300 + 200 HKGB."""
    token = world.token
    token.batch_mint(
        world.issuer,
        [
            (world.alice.address, Decimal(1000)),
            (world.bob.address, Decimal(250)),
            (world.broker1.address, Decimal(300)),
            (world.broker2.address, Decimal(200)),
        ],
    )
    return world


def one_line_error(result: Result, expected: str, *, code: int = 1) -> None:
    """The command failed with exactly one line on stderr (``error: cause: fix``), nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert result.stderr == f"error: {expected}\n"


def ok(result: Result) -> list[str]:
    """The stdout lines of a command that succeeded (stderr empty)."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result.stdout.splitlines()
