"""What an independent review of the opened core found, each pinned by a test that failed before its fix: the holder
cap with a funded ex-treasury registered as a new investor, a maximal pre-freeze on the recovery and partial-freeze
paths, ERC-3643 freeze deltas on every frozen-amount change, the view gate and the module refusing outsiders, and
`RWAToken.deploy` validating before it sends."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken import RWAToken, SpecError
from hktoken.testing import nothing_sent, reverts

from ._helpers import MAX_UINT, ZERO, World, event_args, extra_account, fund, investor, restricted, unchanged


@dataclass
class Rv:
    w: World
    alice: LocalAccount
    bob: LocalAccount
    a2: LocalAccount

    @property
    def token(self) -> RWAToken:
        return self.w.token


@pytest.fixture(scope="module")
def rv(world: World, accounts: list[LocalAccount]) -> Rv:
    alice, bob = accounts[6:8]
    a2 = extra_account("rv-a2")
    fund(world.chain, a2)
    world.registry.register(world.admin, [investor(world.chain, "ALICE", [alice]), investor(world.chain, "BOB", [bob])])
    world.registry.add_wallet(world.admin, "ALICE", a2.address)
    world.token.batch_mint(world.issuer, [(alice.address, 1000), (bob.address, 1000), (world.treasury.address, 1000)])
    world.people = {"alice": alice, "bob": bob, "a2": a2}
    return Rv(world, alice, bob, a2)


def _register_treasury_as_dave(rv: Rv) -> LocalAccount:
    """The treasury's 1,000 were never counted; it becomes DAVE's primary wallet once the treasury moves."""
    w = rv.w
    old = w.treasury
    rv.token.raw.set_treasury(w.admin, extra_account("rv-new-treasury").address)
    w.registry.register(w.admin, [investor(w.chain, "DAVE", [old])])
    assert rv.token.holder_count() == 2  # DAVE holds, uncounted until its next balance change
    return old


def test_a_funded_ex_treasury_registered_as_a_new_investor_cannot_break_the_cap(rv: Rv) -> None:
    w, token = rv.w, rv.token
    w.comply("setMaxHolders", 2)
    dave = _register_treasury_as_dave(rv)
    # A partial payment would count DAVE: three holders under a cap of two. Refused, to an existing holder too.
    with unchanged(w.chain, dave, watch=w.state), restricted(9, dave.address, rv.bob.address, w.u(1)):
        token.transfer(dave, rv.bob.address, 1)
    assert token.check_transfer(dave.address, rv.bob.address, 1).code == 9
    # A full exit counts nobody: allowed.
    token.transfer(dave, rv.bob.address, 1000)
    assert token.holder_count() == 2


def test_without_a_cap_the_ex_treasury_is_counted_at_its_next_change(rv: Rv) -> None:
    token = rv.token
    dave = _register_treasury_as_dave(rv)
    token.transfer(dave, rv.bob.address, 1)
    assert token.holder_count() == 3
    assert token.raw.funded_wallets(rv.w.registry.investor("DAVE").key) == 1


def test_recovery_keeps_a_maximal_pre_freeze(rv: Rv) -> None:
    """`setFrozenTokens(max)` (everything, future receipts included) survives a recovery: the sum saturates."""
    w, token, alice, a2 = rv.w, rv.token, rv.alice.address, rv.a2.address
    token.raw.set_frozen_tokens(w.agent, alice, MAX_UINT)
    token.raw.set_frozen_tokens(w.agent, a2, 1)
    receipt = token.recover(w.agent, alice, a2, "ALICE")
    assert token.event_names(receipt) == [
        "TokensUnfrozen", "Frozen", "TokensFrozen", "Frozen", "Transfer", "RecoverySuccess"
    ]  # fmt: skip
    assert event_args(token, receipt, "TokensFrozen") == [{"user": a2, "amount": MAX_UINT - 1}]
    assert (token.raw.get_frozen_tokens(alice), token.raw.get_frozen_tokens(a2)) == (0, MAX_UINT)
    assert token.raw_balance_of(a2) == w.u(1000)


def test_a_partial_freeze_on_top_of_a_maximal_pre_freeze_is_a_custom_error(rv: Rv) -> None:
    w, token, alice = rv.w, rv.token, rv.alice.address
    token.raw.set_frozen_tokens(w.agent, alice, MAX_UINT)
    with (
        unchanged(w.chain, w.agent, watch=w.state),
        reverts("FreezeExceedsBalance", account=alice, balance=w.u(1000), frozenAfter=MAX_UINT),
    ):
        token.raw.freeze_partial_tokens(w.agent, alice, 1)


@pytest.mark.parametrize(
    ("before", "after", "names", "delta"),
    [
        (300, 100, ["TokensUnfrozen", "Frozen"], 200),
        (100, 500, ["TokensFrozen", "Frozen"], 400),
        (500, 500, ["Frozen"], 0),
        (500, 0, ["TokensUnfrozen", "Frozen"], 500),
    ],
)
def test_set_frozen_tokens_emits_the_erc3643_delta(
    rv: Rv, before: int, after: int, names: list[str], delta: int
) -> None:
    w, token, bob = rv.w, rv.token, rv.bob.address
    token.raw.set_frozen_tokens(w.agent, bob, w.u(before))
    receipt = token.raw.set_frozen_tokens(w.agent, bob, w.u(after))
    assert token.event_names(receipt) == names
    if delta:
        assert event_args(token, receipt, names[0]) == [{"user": bob, "amount": w.u(delta)}]
    assert event_args(token, receipt, "Frozen") == [{"account": bob, "amount": w.u(after)}]


def test_the_view_gate_and_the_module_refuse_outsiders(rv: Rv) -> None:
    w, token = rv.w, rv.token
    set_treasury = keccak(text="setTreasury(address)")[:4].hex() + rv.bob.address[2:].lower().rjust(64, "0")
    through_gate = "0xffffffff" + set_treasury

    def revert_data(call: dict[str, str]) -> str:
        response = w.chain.w3.provider.make_request("eth_call", [call, "latest"])  # type: ignore[arg-type]
        assert "error" in response, response
        return str(response["error"]["data"])

    decoder = w.chain.decoder
    outsider = decoder.decode(revert_data({"to": token.address, "data": through_gate, "from": rv.bob.address}))
    assert (outsider.error, outsider.arguments) == ("UnknownFunction", {"selector": bytes.fromhex("ffffffff")})
    # Even a forged non-static call from the token itself (eth_call allows any `from`) meets the module's role check.
    forged = decoder.decode(revert_data({"to": token.address, "data": through_gate, "from": token.address}))
    assert forged.error == "AccessControlUnauthorizedAccount"
    assert forged.arguments == {"account": token.address, "neededRole": bytes(32)}
    module = token.admin_module()
    direct = decoder.decode(revert_data({"to": module, "data": "0x" + set_treasury, "from": w.admin.address}))
    assert direct.error == "AdminModuleNotDelegated"
    assert token.raw.treasury() == w.treasury.address


def test_long_documents_and_batches_forward_through_the_module(rv: Rv) -> None:
    w, token, bob = rv.w, rv.token, rv.bob.address
    uri = "ipfs://" + "x" * 5000 + "é"
    name = b"prospectus".ljust(32, b"\0")
    token.raw.set_document(w.admin, name, uri, b"\x11" * 32)
    assert token.raw.get_document(name)[:2] == (uri, b"\x11" * 32)
    token.raw.batch_set_address_frozen(w.agent, [], [])
    token.raw.batch_freeze_partial_tokens(w.agent, [bob, bob], [1, 2])
    assert token.raw.get_frozen_tokens(bob) == 3
    with unchanged(w.chain, w.agent, watch=w.state), reverts("ArrayLengthMismatch"):
        token.raw.batch_freeze_partial_tokens(w.agent, [bob], [1, 2])


def test_deploy_validates_the_registry_and_the_module_before_sending(rv: Rv, accounts: list[LocalAccount]) -> None:
    w = rv.w
    with nothing_sent(w.chain, w.admin), pytest.raises(SpecError, match="no contract code at"):
        RWAToken.deploy(w.chain, w.admin, name="X", symbol="X", decimals=0, registry=accounts[9].address)
    with nothing_sent(w.chain, w.admin), pytest.raises(SpecError, match="is not an RWATokenAdmin module"):
        RWAToken.deploy(
            w.chain, w.admin, name="X", symbol="X", decimals=0, registry=w.registry, admin_module=w.registry.address
        )
    with nothing_sent(w.chain, w.admin), pytest.raises(SpecError, match="is not an RWATokenAdmin module"):
        RWAToken.deploy(w.chain, w.admin, name="X", symbol="X", decimals=0, registry=w.registry, admin_module=ZERO)
    token = RWAToken.deploy(
        w.chain, w.admin, name="X", symbol="X", decimals=0, registry=w.registry, admin_module=rv.token.admin_module()
    )
    assert token.admin_module() == rv.token.admin_module()
