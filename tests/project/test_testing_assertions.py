"""hktoken.testing's public assertions, as a custodian's test suite uses them: ``reverts`` (the exact decoded
error and arguments) and ``nothing_sent`` (no signer's nonce moved, mined or pending)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from hktoken import HKDStablecoin, RWAToken, SpecError, TransferRestricted
from hktoken.chain import Chain
from hktoken.testing import nothing_sent, reverts
from hktoken.testing.plugin import Kyc

HKD = 10**6


@pytest.fixture(scope="module")
def token(kyc: Kyc, accounts: list[LocalAccount], rwa_token_factory: Callable[..., RWAToken]) -> RWAToken:
    kyc(accounts[1].address, investor_id="A-ALICE")
    token = rwa_token_factory(decimals=0)
    token.mint(accounts[0], accounts[1].address, 100)
    return token


def test_reverts_matches_the_error_and_the_given_arguments(token: RWAToken, accounts: list[LocalAccount]) -> None:
    alice, stranger = accounts[1], accounts[7]
    with reverts("TransferRestricted", code=3, amount=5) as refusal:
        token.transfer(alice, stranger.address, 5)
    assert type(refusal.value) is TransferRestricted
    assert (refusal.value.code, refusal.value.reason) == (3, "recipient not verified")
    # every argument, with `from` spelled from_, addresses in any case or as the account itself
    with reverts("TransferRestricted", from_=alice.address.lower(), to=stranger, amount=5, code=3):
        token.transfer(alice, stranger.address, 5)


def test_reverts_explains_a_wrong_argument(token: RWAToken, accounts: list[LocalAccount]) -> None:
    alice, stranger = accounts[1], accounts[7]
    with pytest.raises(AssertionError) as info, reverts("TransferRestricted", code=7, amount=5):
        token.transfer(alice, stranger.address, 5)
    assert str(info.value) == (
        f"reverted with TransferRestricted(from={alice.address!r}, to={stranger.address!r}, amount=5, code=3), "
        "expected TransferRestricted(code=7, amount=5)\n  code: expected 7, got 3"
    )


def test_reverts_explains_a_wrong_error_and_an_unknown_argument(token: RWAToken, accounts: list[LocalAccount]) -> None:
    alice, stranger = accounts[1], accounts[7]
    wrong_error = r"\n  error: expected ERC20InsufficientBalance, got TransferRestricted$"
    with pytest.raises(AssertionError, match=wrong_error), reverts("ERC20InsufficientBalance"):
        token.transfer(alice, stranger.address, 5)
    unknown = r"\n  recipient: TransferRestricted has no such argument \(it has from, to, amount, code\)$"
    with pytest.raises(AssertionError, match=unknown), reverts("TransferRestricted", recipient=stranger.address):
        token.transfer(alice, stranger.address, 5)


def test_reverts_fails_when_nothing_reverts_and_lets_other_errors_through(
    token: RWAToken, accounts: list[LocalAccount]
) -> None:
    alice = accounts[1]
    did_not = r"^DID NOT REVERT: expected TransferRestricted\(code=3\)$"
    with pytest.raises(AssertionError, match=did_not), reverts("TransferRestricted", code=3):
        token.transfer(alice, accounts[0].address, 1)  # to the treasury: allowed
    with pytest.raises(SpecError, match="has more than 0 decimal places"), reverts("TransferRestricted"):
        token.transfer(alice, accounts[0].address, Decimal("0.5"))
    info = reverts("X").__enter__()
    with pytest.raises(AssertionError, match="only set once the with-block has reverted"):
        _ = info.value


def test_nothing_sent_holds_for_a_refusal_and_ignores_new_blocks(
    chain: Chain, token: RWAToken, accounts: list[LocalAccount]
) -> None:
    alice, stranger = accounts[1], accounts[7]
    with nothing_sent(chain, alice, accounts[0].address), reverts("TransferRestricted", code=3):
        token.transfer(alice, stranger.address, 5)
    with nothing_sent(chain, alice):
        chain.mine(3)  # blocks mined by the node (a timer, another client) are not sends
    with pytest.raises(SpecError), nothing_sent(chain, alice):  # checked when the block raises, too
        token.transfer(alice, stranger.address, -1)


def test_nothing_sent_fails_when_a_signer_sends(chain: Chain, token: RWAToken, accounts: list[LocalAccount]) -> None:
    alice, treasury = accounts[1], accounts[0]
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    with pytest.raises(AssertionError) as info, nothing_sent(chain, treasury, alice):
        token.transfer(alice, treasury.address, 1)
    assert str(info.value) == (
        f"a transaction was sent inside nothing_sent: {alice.address} "
        f"(latest {nonce} -> {nonce + 1}, pending {nonce} -> {nonce + 1})"
    )


def test_nothing_sent_sees_a_pending_transaction(chain: Chain, accounts: list[LocalAccount]) -> None:
    signer = accounts[2]
    nonce = chain.w3.eth.get_transaction_count(signer.address)
    chain.rpc("evm_setAutomine", [False])
    try:
        with pytest.raises(AssertionError) as info, nothing_sent(chain, signer):
            tx = {
                "chainId": chain.chain_id, "nonce": nonce, "to": accounts[3].address, "value": 1, "gas": 21_000,
                "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9, "type": 2,
            }  # fmt: skip
            chain.w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
        assert str(info.value) == (
            f"a transaction was sent inside nothing_sent: {signer.address} "
            f"(latest {nonce} -> {nonce}, pending {nonce} -> {nonce + 1})"
        )
    finally:
        chain.rpc("evm_setAutomine", [True])
        chain.mine()
    chain.sender.reset_nonces()


def test_nothing_sent_needs_signers(chain: Chain) -> None:
    with pytest.raises(SpecError, match="nothing_sent needs the signers to watch"), nothing_sent(chain):
        pass


def test_permit_on_the_stablecoin_sends_nothing_for_the_owner(
    chain: Chain, hkd_stablecoin: HKDStablecoin, accounts: list[LocalAccount]
) -> None:
    owner, spender, relayer = accounts[4], accounts[5], accounts[6]
    hkd_stablecoin.mint(accounts[0], owner.address, 10)
    with nothing_sent(chain, owner):  # signing a permit is off-chain; the relayer pays for it
        hkd_stablecoin.permit(relayer, hkd_stablecoin.sign_permit(owner, spender.address, 10))
    hkd_stablecoin.transfer_from(spender, owner.address, spender.address, 10)
    assert hkd_stablecoin.balance_of(spender.address) == 10
    with reverts("ERC20InsufficientAllowance", spender=spender, allowance=0, needed=HKD):
        hkd_stablecoin.transfer_from(spender, owner.address, spender.address, 1)
