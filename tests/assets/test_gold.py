"""Tokenized gold on the compliance core: the bar list, proof of reserve on every mint and every bar removal,
attestations, and physical redemption through the custodian's escrow (contracts/assets/gold).

One module-scoped deployment on ``market``: a GoldToken whose custodian lists three Good Delivery bars, with the
custodian and auditor duties on their own accounts. Every test starts from it (the plugin snapshots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from hktoken import GoldCustodian, GoldToken, MissingRole, SpecError
from hktoken.abi import role_id
from hktoken.models.gold import Attestation, GoldBar, GoldCode, RedemptionStatus, text32
from hktoken.models.restrictions import ASSET_MESSAGES, Restriction
from hktoken.testing import reverts
from tests.assets.conftest import Market
from tests.compliance._helpers import DAY, ZERO, event_args, extra_account, fund, restricted, unchanged

OZ = 10**18
UNIT = 10**11  # base units per 1e-7 oz of fine weight
MINT_EXCEEDS_RESERVE = int(GoldCode.MINT_EXCEEDS_RESERVE)
VAULT = "HK Airport Vault"


def bar(serial: str, gross: str, fineness: int, *, refiner: str = "Heraeus Hong Kong", vault: str = VAULT) -> GoldBar:
    return GoldBar(serial=serial, refiner=refiner, gross_oz=Decimal(gross), fineness=fineness, vault=vault)


def fine(b: GoldBar) -> int:
    return b.gross_milli * b.fineness * UNIT


BARS = [bar("HK-0001", "400.125", 9999), bar("HK-0002", "399.870", 9995), bar("HK-0003", "410.000", 9999)]
RESERVE = sum(fine(b) for b in BARS)  # 1209.714... oz, exact in base units


@dataclass
class Gold:
    m: Market
    token: GoldToken
    custodian: GoldCustodian
    vault: LocalAccount  # CUSTODIAN_ROLE
    auditor: LocalAccount  # AUDITOR_ROLE
    alice: LocalAccount
    bob: LocalAccount
    carol: LocalAccount

    def state(self, *extra: str) -> tuple[Any, ...]:
        """Everything a refusal must leave unchanged."""
        t, c = self.token.raw, self.custodian.raw
        wallets = (self.alice.address, self.bob.address, self.carol.address, self.custodian.address, *extra)
        return (
            tuple(t.balance_of(w) for w in wallets),
            t.total_supply(),
            c.reserve(),
            c.bar_count(),
            tuple(c.bar(text32(b.serial, "serial")) for b in BARS),
            c.escrowed(),
            c.redemption_count(),
            c.attestation_count(),
        )


@pytest.fixture(scope="module")
def gold(market: Market) -> Gold:
    vault, auditor = extra_account("gold:vault"), extra_account("gold:auditor")
    fund(market.chain, vault, auditor)
    token = GoldToken.deploy(
        market.chain,
        market.admin,
        name="HK Gold",
        symbol="HKAU",
        registry=market.registry,
        roles=market.roles,
        admin_module=market.admin_module,
        custodians=[vault.address],
        auditors=[auditor.address],
    )
    alice, bob, carol = market.onboard("GOLD-ALICE", "GOLD-BOB", "GOLD-CAROL")
    token.custodian.add_bars(vault, BARS)
    token.mint(market.issuer, alice.address, Decimal(1000))
    return Gold(market, token, token.custodian, vault, auditor, alice, bob, carol)


def request(g: Gold, holder: LocalAccount, amount: int) -> int:
    receipt = g.custodian.request_redemption(holder, g.token.from_units(amount))
    (event,) = event_args(g.custodian, receipt, "RedemptionRequested")
    assert g.custodian.redemption_id(receipt) == event["id"]
    return int(event["id"])


# --------------------------------------------------------------------------------------------- deployment


def test_deploy_binds_the_token_and_its_custodian_and_makes_the_custodian_the_treasury(gold: Gold) -> None:
    g = gold
    assert g.custodian.token_address == g.token.address
    assert GoldToken.at(g.m.chain, g.token.address).custodian.address == g.custodian.address
    assert GoldCustodian.at(g.m.chain, g.custodian.address).token_address == g.token.address
    assert g.token.treasury() == g.custodian.address
    assert g.token.decimals == 18
    assert g.token.has_role("ISSUER_ROLE", g.custodian.address)
    assert g.token.has_role("ISSUER_ROLE", g.m.issuer.address)
    assert g.custodian.has_role("CUSTODIAN_ROLE", g.vault.address)
    assert g.custodian.has_role("AUDITOR_ROLE", g.auditor.address)
    assert not g.custodian.has_role("CUSTODIAN_ROLE", g.m.admin.address)
    assert g.custodian.has_role("DEFAULT_ADMIN_ROLE", g.m.admin.address)
    assert g.token.raw.mint_exceeds_reserve() == MINT_EXCEEDS_RESERVE == 72
    assert g.token.message_for_restriction(72) == ASSET_MESSAGES[72] == "mint exceeds gold reserve"


def test_deploy_refuses_other_decimals_and_sends_nothing(gold: Gold) -> None:
    g = gold
    with unchanged(g.m.chain, g.m.admin), pytest.raises(SpecError, match="decimals 6 is not 18"):
        GoldToken.deploy(g.m.chain, g.m.admin, name="X", symbol="X", decimals=6, registry=g.m.registry)
    with unchanged(g.m.chain, g.m.admin), pytest.raises(SpecError, match="custodian"):
        GoldToken.deploy(g.m.chain, g.m.admin, name="X", symbol="X", registry=g.m.registry, custodians=["0x12"])


def test_a_token_cannot_bind_to_a_custodian_that_backs_another_token(gold: Gold) -> None:
    g = gold
    args = ("G2", "G2", 18, g.m.registry.address, g.m.admin.address, g.custodian.address, g.m.admin_module)
    with reverts("GoldCustodianMismatch", custodian=g.custodian.address):
        GoldToken.deploy_artifact(g.m.chain, g.m.admin, *args, g.custodian.address)
    with reverts("GoldDecimals", decimals=6):
        GoldToken.deploy_artifact(g.m.chain, g.m.admin, "G2", "G2", 6, *args[3:], g.custodian.address)


# --------------------------------------------------------------------------------------------- bar list


def test_bars_are_listed_with_their_derived_fine_weight(gold: Gold) -> None:
    g = gold
    assert g.custodian.bar_count() == 3
    assert g.custodian.raw.reserve() == RESERVE == (400125 * 9999 + 399870 * 9995 + 410000 * 9999) * UNIT
    assert g.custodian.reserve_oz() == Decimal("1209.7140525")
    with pytest.raises(SpecError, match="no redemption request"):
        g.custodian.redemption_id(g.token.mint(g.m.issuer, g.bob.address, Decimal(1)))
    assert g.custodian.bar("HK-0002") == BARS[1]
    assert g.custodian.bar("HK-9999") is None
    assert g.custodian.bars() == BARS
    refiner, vault, gross, fineness, listed_at = g.custodian.raw.bar(text32("HK-0001", "serial"))
    assert (refiner, vault, gross, fineness) == (text32("Heraeus Hong Kong", "r"), text32(VAULT, "v"), 400125, 9999)
    assert 0 < listed_at <= g.m.chain.timestamp()


def test_a_batch_intake_emits_one_event_per_bar_and_one_reserve_change(gold: Gold) -> None:
    g = gold
    intake = [bar(f"IN-{i:04d}", "401.5", 9999) for i in range(50)]
    receipt = g.custodian.add_bars(g.vault, intake)
    added = event_args(g.custodian, receipt, "BarAdded")
    assert [e["serial"] for e in added] == [text32(b.serial, "s") for b in intake]
    assert added[0] == {
        "serial": text32("IN-0000", "s"), "refiner": text32("Heraeus Hong Kong", "r"), "vault": text32(VAULT, "v"),
        "grossMilli": 401500, "fineness": 9999, "fineWeight": 401500 * 9999 * UNIT,
    }  # fmt: skip
    total = RESERVE + 50 * 401500 * 9999 * UNIT
    assert event_args(g.custodian, receipt, "ReserveChanged") == [{"reserve": total, "barCount": 53}]
    assert g.custodian.raw.reserve() == total
    assert g.custodian.bar_count() == 53
    assert len(g.custodian.bars()) == 53


def test_a_serial_already_in_custody_is_refused_and_nothing_changes(gold: Gold) -> None:
    g = gold
    again = bar("HK-0002", "420", 9999)
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("BarAlreadyListed", serial=text32("HK-0002", "s")):
        g.custodian.add_bars(g.vault, [bar("NEW-1", "400", 9999), again])
    # twice in one batch: the wrapper refuses before sending; the contract refuses the second too
    with unchanged(g.m.chain, g.vault, watch=g.state), pytest.raises(SpecError, match="'NEW-1' appears twice"):
        g.custodian.add_bars(g.vault, [bar("NEW-1", "400", 9999), bar("NEW-1", "400", 9999)])
    twice = [bar("NEW-1", "400", 9999).as_input()] * 2
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("BarAlreadyListed", serial=text32("NEW-1", "s")):
        g.custodian.raw.add_bars(g.vault, twice)


def test_the_contract_refuses_a_malformed_bar(gold: Gold) -> None:
    g = gold
    serial = text32("BAD-1", "s")
    for gross, fineness in ((0, 9999), (400000, 0), (400000, 10001)):
        entry = (serial, text32("R", "r"), text32("V", "v"), gross, fineness)
        with unchanged(g.m.chain, g.vault, watch=g.state), reverts("InvalidBar", grossMilli=gross, fineness=fineness):
            g.custodian.raw.add_bars(g.vault, [entry])
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("InvalidBar", serial=bytes(32)):
        g.custodian.raw.add_bars(g.vault, [(bytes(32), text32("R", "r"), text32("V", "v"), 400000, 9999)])
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("EmptyBatch"):
        g.custodian.raw.add_bars(g.vault, [])


def test_a_non_good_delivery_bar_is_listed_only_when_allowed(gold: Gold) -> None:
    g = gold
    with pytest.raises(SpecError, match=r"gross_oz 32\.151 is outside the Good Delivery range"):
        bar("KILO-1", "32.151", 9999)
    kilo = GoldBar(serial="KILO-1", refiner="PAMP", gross_oz=Decimal("32.151"), fineness=9999, vault=VAULT,
                   good_delivery=False)  # fmt: skip
    g.custodian.add_bars(g.vault, [kilo])
    assert g.custodian.bar("KILO-1") == kilo
    assert g.custodian.raw.reserve() == RESERVE + 32151 * 9999 * UNIT


def test_removing_bars_keeps_the_reserve_at_or_above_the_supply(gold: Gold) -> None:
    g = gold
    # supply 1000 oz; removing HK-0003 (409.959 oz) leaves 799.755... < 1000: refused, naming supply and reserve
    left = RESERVE - fine(BARS[2])
    with (
        unchanged(g.m.chain, g.vault, watch=g.state),
        reverts("ReserveShortfall", supply=1000 * OZ, reserve=left),
    ):
        g.custodian.remove_bars(g.vault, ["HK-0003"])
    g.token.burn(g.m.issuer, g.alice.address, Decimal(200))  # supply 800 <= 799.755...? no: still short
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("ReserveShortfall", supply=800 * OZ, reserve=left):
        g.custodian.remove_bars(g.vault, ["HK-0003"])
    g.token.burn(g.m.issuer, g.alice.address, Decimal(1))  # supply 799 <= 799.755...: allowed
    receipt = g.custodian.remove_bars(g.vault, ["HK-0003"])
    assert event_args(g.custodian, receipt, "BarRemoved") == [
        {"serial": text32("HK-0003", "s"), "fineWeight": fine(BARS[2])}
    ]
    assert event_args(g.custodian, receipt, "ReserveChanged") == [{"reserve": left, "barCount": 2}]
    assert g.custodian.bar("HK-0003") is None
    assert g.custodian.bars() == BARS[:2]
    # the bar can come back into custody later (a serial is unique among the bars IN custody)
    g.custodian.add_bars(g.vault, [BARS[2]])
    assert g.custodian.raw.reserve() == RESERVE


def test_bars_move_between_vaults_without_touching_the_reserve(gold: Gold) -> None:
    g = gold
    receipt = g.custodian.relocate_bars(g.vault, ["HK-0001", "HK-0003"], "Kowloon Vault")
    assert event_args(g.custodian, receipt, "BarRelocated") == [
        {"serial": text32("HK-0001", "s"), "fromVault": text32(VAULT, "v"), "toVault": text32("Kowloon Vault", "v")},
        {"serial": text32("HK-0003", "s"), "fromVault": text32(VAULT, "v"), "toVault": text32("Kowloon Vault", "v")},
    ]
    moved = [
        BARS[0].model_copy(update={"vault": "Kowloon Vault"}),
        BARS[1],
        BARS[2].model_copy(update={"vault": "Kowloon Vault"}),
    ]
    assert [g.custodian.bar(b.serial) for b in BARS] == moved
    assert g.custodian.bars() == moved
    assert g.custodian.raw.reserve() == RESERVE and g.custodian.bar_count() == 3
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("BarNotListed", serial=text32("HK-7777", "s")):
        g.custodian.relocate_bars(g.vault, ["HK-0002", "HK-7777"], "Kowloon Vault")
    with unchanged(g.m.chain, g.vault, watch=g.state), pytest.raises(SpecError, match="vault must not be empty"):
        g.custodian.relocate_bars(g.vault, ["HK-0002"], "")


def test_removing_an_unlisted_bar_or_the_same_bar_twice_is_refused(gold: Gold) -> None:
    g = gold
    g.token.burn(g.m.issuer, g.alice.address, Decimal(1000))
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("BarNotListed", serial=text32("HK-7777", "s")):
        g.custodian.remove_bars(g.vault, ["HK-0001", "HK-7777"])
    twice = [text32("HK-0001", "s")] * 2
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("BarNotListed", serial=twice[0]):
        g.custodian.raw.remove_bars(g.vault, twice)
    with unchanged(g.m.chain, g.vault, watch=g.state), pytest.raises(SpecError, match="named twice"):
        g.custodian.remove_bars(g.vault, ["HK-0001", "HK-0001"])


def test_escrowed_tokens_still_count_as_supply_for_a_removal(gold: Gold) -> None:
    g = gold
    g.token.burn(g.m.issuer, g.alice.address, Decimal(201))  # supply 799: HK-0003 could go ...
    request(g, g.alice, 100 * OZ)  # ... but 100 oz in escrow are still supply
    assert g.token.raw.total_supply() == 799 * OZ
    assert g.custodian.raw.escrowed() == 100 * OZ
    g.token.burn(g.m.issuer, g.alice.address, Decimal(1))
    left = RESERVE - fine(BARS[2]) - fine(BARS[1])
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("ReserveShortfall", supply=798 * OZ, reserve=left):
        g.custodian.remove_bars(g.vault, ["HK-0003", "HK-0002"])


# --------------------------------------------------------------------------------------------- proof of reserve on mint


def test_a_mint_beyond_the_reserve_is_refused_the_same_by_mint_batch_mint_and_the_views(gold: Gold) -> None:
    g = gold
    headroom = RESERVE - 1000 * OZ
    assert g.custodian.raw.mint_headroom() == headroom
    t, issuer, bob = g.token, g.m.issuer, g.bob.address
    assert t.raw.detect_transfer_restriction(ZERO, bob, headroom + 1) == MINT_EXCEEDS_RESERVE
    assert t.raw.can_transfer(ZERO, bob, headroom + 1) is False
    assert t.check_transfer(ZERO, bob, t.from_units(headroom + 1)).reason == "mint exceeds gold reserve"
    assert t.raw.detect_transfer_restriction(ZERO, bob, headroom) == 0
    with unchanged(g.m.chain, issuer, watch=g.state), restricted(MINT_EXCEEDS_RESERVE, ZERO, bob, headroom + 1):
        t.raw.mint(issuer, bob, headroom + 1)
    # a batch whose every mint fits alone but not together: the second one is refused, nothing is minted
    half = headroom // 2 + 1
    with unchanged(g.m.chain, issuer, watch=g.state), restricted(MINT_EXCEEDS_RESERVE, ZERO, g.carol.address, half):
        t.raw.batch_mint(issuer, [bob, g.carol.address], [half, half])
    receipt = t.raw.mint(issuer, bob, headroom)  # exactly up to the reserve
    assert t.raw.total_supply() == RESERVE == g.custodian.raw.reserve()
    assert event_args(t, receipt, "Transfer") == [{"from": ZERO, "to": bob, "value": headroom}]
    assert g.custodian.reserve_ratio() == Decimal(1)
    assert t.raw.detect_transfer_restriction(ZERO, bob, 1) == MINT_EXCEEDS_RESERVE
    with unchanged(g.m.chain, issuer, watch=g.state), restricted(MINT_EXCEEDS_RESERVE, ZERO, bob, 1):
        t.mint(issuer, bob, Decimal("0.000000000000000001"))
    assert t.raw.detect_transfer_restriction(ZERO, bob, 0) == 0  # nothing more is always within the reserve


def test_new_bars_make_room_for_new_mints(gold: Gold) -> None:
    g = gold
    extra = bar("HK-0004", "400", 9999)
    assert g.token.raw.detect_transfer_restriction(ZERO, g.bob.address, 500 * OZ) == MINT_EXCEEDS_RESERVE
    g.custodian.add_bars(g.vault, [extra])
    g.token.mint(g.m.issuer, g.bob.address, Decimal(500))
    assert g.token.raw.total_supply() == 1500 * OZ
    assert g.custodian.raw.mint_headroom() == RESERVE + fine(extra) - 1500 * OZ


def test_the_reserve_ratio_is_reserve_over_supply_in_18_decimal_fixed_point(gold: Gold) -> None:
    g = gold
    assert g.custodian.raw.reserve_ratio() == RESERVE * 10**18 // (1000 * OZ)
    assert g.custodian.reserve_ratio() == Decimal("1.2097140525")
    assert g.token.reserve_ratio() == Decimal("1.2097140525")
    assert g.token.reserve_oz() == Decimal("1209.7140525")
    g.token.burn(g.m.issuer, g.alice.address, Decimal(1000))
    assert g.custodian.raw.reserve_ratio() == 2**256 - 1
    assert g.custodian.reserve_ratio() is None


def test_the_mint_check_is_on_top_of_the_core_rules(gold: Gold) -> None:
    g = gold
    stranger = extra_account("gold:stranger").address
    assert g.token.raw.detect_transfer_restriction(ZERO, stranger, 1) == Restriction.RECIPIENT_NOT_VERIFIED
    g.token.pause(g.m.pauser)
    assert g.token.raw.detect_transfer_restriction(ZERO, g.bob.address, RESERVE) == Restriction.PAUSED


# --------------------------------------------------------------------------------------------- attestations


def _attestation(g: Gold, ounces: str, days_ago: int, n: int = 1) -> Attestation:
    return Attestation(
        report_hash=keccak(text=f"report {n}"),
        uri=f"ipfs://bafy-gold-report-{n}",
        ounces=Decimal(ounces),
        as_of=datetime.fromtimestamp(g.m.chain.timestamp(), tz=UTC) - timedelta(days=days_ago),
    )


def test_the_auditor_publishes_attestations_in_as_of_order_and_all_stay_readable(gold: Gold) -> None:
    g = gold
    c = g.custodian
    assert c.latest_attestation() is None
    first = _attestation(g, "1209.7140525", 30, 1)
    receipt = c.attest(g.auditor, first)
    assert event_args(c, receipt, "AttestationPublished") == [
        {
            "index": 0, "reportHash": first.report_hash, "ounces": 1209714052500000000000,
            "asOf": first.as_of_timestamp, "uri": first.uri,
        }
    ]  # fmt: skip
    second = _attestation(g, "1209.7140525", 1, 2)
    c.attest(g.auditor, second)
    published = c.attestations()
    assert [a.model_copy(update={"published_at": None}) for a in published] == [first, second]
    assert all(a.published_at is not None for a in published)
    assert c.latest_attestation() == published[1]
    assert c.attestation(0) == published[0]
    with pytest.raises(SpecError, match="out of range"):
        c.attestation(2)
    with reverts("NoSuchAttestation", index=2):
        c.raw.attestation(2)


def test_an_attestation_in_the_future_or_out_of_order_is_refused(gold: Gold) -> None:
    g = gold
    c, now = g.custodian, g.m.chain.timestamp()
    c.attest(g.auditor, _attestation(g, "1000", 10))
    future = _attestation(g, "1000", -1)
    with unchanged(g.m.chain, g.auditor, watch=g.state), pytest.raises(SpecError, match="is in the future"):
        c.attest(g.auditor, future)
    older = _attestation(g, "1000", 11)
    with unchanged(g.m.chain, g.auditor, watch=g.state), pytest.raises(SpecError, match="before the previous one"):
        c.attest(g.auditor, older)
    # the contract checks it too
    h, uri = keccak(text="r"), "ipfs://r"
    with unchanged(g.m.chain, g.auditor, watch=g.state), reverts("AttestationInFuture", asOf=now + 10 * DAY):
        c.raw.attest(g.auditor, h, uri, OZ, now + 10 * DAY)
    with (
        unchanged(g.m.chain, g.auditor, watch=g.state),
        reverts("AttestationOutOfOrder", asOf=older.as_of_timestamp, previousAsOf=now - 10 * DAY),
    ):
        c.raw.attest(g.auditor, h, uri, OZ, older.as_of_timestamp)
    for report_hash, text in ((bytes(32), uri), (h, "")):
        with unchanged(g.m.chain, g.auditor, watch=g.state), reverts("InvalidAttestation"):
            c.raw.attest(g.auditor, report_hash, text, OZ, now - DAY)
    # the same as-of time again is accepted (a corrected report)
    c.raw.attest(g.auditor, h, uri, OZ, now - 10 * DAY)
    assert c.raw.attestation_count() == 2


# --------------------------------------------------------------------------------------------- redemption


def test_the_whole_lifecycle_bars_in_mint_trade_attest_redeem_fulfilled_and_another_rejected(gold: Gold) -> None:
    g = gold
    t, c = g.token, g.custodian
    # trade: alice sells 450 oz to bob
    t.transfer(g.alice, g.bob.address, Decimal(450))
    c.attest(g.auditor, _attestation(g, "1209.7140525", 0))
    # bob redeems 400 oz: one transaction (permit + escrow)
    receipt = c.request_redemption(g.bob, Decimal(400))
    assert event_args(c, receipt, "RedemptionRequested") == [{"id": 1, "holder": g.bob.address, "amount": 400 * OZ}]
    assert event_args(t, receipt, "Transfer") == [{"from": g.bob.address, "to": c.address, "value": 400 * OZ}]
    assert t.raw_balance_of(g.bob.address) == 50 * OZ and t.raw_balance_of(c.address) == 400 * OZ
    assert c.raw.escrowed() == 400 * OZ and t.raw.total_supply() == 1000 * OZ
    pending = c.redemption(1)
    assert (pending.holder, pending.amount, pending.status) == (g.bob.address, Decimal(400), RedemptionStatus.PENDING)
    # the custodian releases HK-0001 (400.125 oz x 0.9999 = 400.0849875 fine oz >= 400)
    receipt = c.fulfil(g.vault, 1, ["HK-0001"])
    assert event_args(c, receipt, "RedemptionFulfilled") == [
        {"id": 1, "holder": g.bob.address, "amount": 400 * OZ, "serials": [text32("HK-0001", "s")],
         "fineReleased": fine(BARS[0])}
    ]  # fmt: skip
    assert event_args(c, receipt, "BarRemoved") == [{"serial": text32("HK-0001", "s"), "fineWeight": fine(BARS[0])}]
    assert event_args(t, receipt, "Transfer") == [{"from": c.address, "to": ZERO, "value": 400 * OZ}]
    assert t.raw.total_supply() == 600 * OZ
    assert c.raw.reserve() == RESERVE - fine(BARS[0])
    assert c.raw.escrowed() == 0 and t.raw_balance_of(c.address) == 0
    assert c.redemption(1).status == RedemptionStatus.FULFILLED
    assert c.bars() == BARS[1:]
    # alice asks for 100 oz; the custodian rejects it and the tokens come back
    request(g, g.alice, 100 * OZ)
    receipt = c.reject(g.vault, 2, "NOT-WHOLE-BAR")
    assert event_args(c, receipt, "RedemptionRejected") == [
        {"id": 2, "holder": g.alice.address, "amount": 100 * OZ, "reason": text32("NOT-WHOLE-BAR", "r")}
    ]
    assert event_args(c, receipt, "RedemptionReturned") == [{"id": 2, "holder": g.alice.address, "amount": 100 * OZ}]
    assert t.raw_balance_of(g.alice.address) == 550 * OZ
    rejected = c.redemption(2)
    assert (rejected.status, rejected.reason) == (RedemptionStatus.REJECTED, text32("NOT-WHOLE-BAR", "r"))
    assert c.raw.escrowed() == 0 and c.redemption_count() == 2
    assert c.redemption(3).status == RedemptionStatus.NONE


def test_fulfilment_with_too_little_gold_is_refused_and_nothing_changes(gold: Gold) -> None:
    g = gold
    rid = request(g, g.alice, 401 * OZ)
    released = fine(BARS[0])  # 400.0849875 oz < 401
    with (
        unchanged(g.m.chain, g.vault, watch=g.state),
        reverts("InsufficientBarsReleased", id=rid, requested=401 * OZ, released=released),
    ):
        g.custodian.fulfil(g.vault, rid, ["HK-0001"])
    assert g.custodian.redemption(rid).status == RedemptionStatus.PENDING
    g.custodian.add_bars(g.vault, [bar("HK-0004", "400", 9999)])  # the reserve left must still cover the supply
    g.custodian.fulfil(g.vault, rid, ["HK-0001", "HK-0002"])  # two bars cover the request
    assert g.token.raw.total_supply() == 599 * OZ
    assert g.custodian.raw.reserve() == fine(BARS[2]) + 400000 * 9999 * UNIT


def test_fulfilment_that_would_leave_the_reserve_short_is_refused(gold: Gold) -> None:
    g = gold
    g.custodian.add_bars(g.vault, [bar("HK-0004", "400", 9999)])
    g.token.mint(g.m.issuer, g.bob.address, g.custodian.mint_headroom_oz())  # fully backed, to the wei
    rid = request(g, g.alice, 10 * OZ)
    # releasing a 400 oz bar for a 10 oz request leaves 390 oz more supply than gold
    reserve_after = RESERVE + fine(bar("HK-0004", "400", 9999)) - fine(BARS[2])
    supply_after = g.token.raw.total_supply() - 10 * OZ
    with (
        unchanged(g.m.chain, g.vault, watch=g.state),
        reverts("ReserveShortfall", supply=supply_after, reserve=reserve_after),
    ):
        g.custodian.fulfil(g.vault, rid, ["HK-0003"])


def test_only_a_pending_request_can_be_fulfilled_or_rejected(gold: Gold) -> None:
    g = gold
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("UnexpectedRedemptionStatus", id=7, status=0):
        g.custodian.fulfil(g.vault, 7, ["HK-0001"])
    rid = request(g, g.alice, 10 * OZ)
    g.custodian.reject(g.vault, rid, keccak(text="reason"))
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("UnexpectedRedemptionStatus", id=rid, status=3):
        g.custodian.fulfil(g.vault, rid, ["HK-0001"])
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("UnexpectedRedemptionStatus", id=rid, status=3):
        g.custodian.reject(g.vault, rid, "again")
    with unchanged(g.m.chain, g.vault, watch=g.state), reverts("UnexpectedRedemptionStatus", id=rid, status=3):
        g.custodian.reclaim(g.vault, rid)
    with unchanged(g.m.chain, g.vault), pytest.raises(SpecError, match="request id 0"):
        g.custodian.fulfil(g.vault, 0, ["HK-0001"])


def test_a_frozen_holders_bars_are_not_released(gold: Gold) -> None:
    g = gold
    rid = request(g, g.alice, 100 * OZ)
    g.token.set_address_frozen(g.m.agent, g.alice.address, True)
    with (
        unchanged(g.m.chain, g.vault, watch=g.state),
        reverts("RedemptionHolderFrozen", id=rid, holder=g.alice.address),
    ):
        g.custodian.fulfil(g.vault, rid, ["HK-0001"])
    # rejecting cannot deliver to a frozen wallet either: the tokens wait in escrow until the freeze is lifted
    receipt = g.custodian.reject(g.vault, rid, "FROZEN")
    assert g.custodian.event_names(receipt) == ["RedemptionRejected"]
    assert g.custodian.redemption(rid).status == RedemptionStatus.RETURN_PENDING
    assert g.custodian.raw.escrowed() == 100 * OZ
    with unchanged(g.m.chain, g.alice, watch=g.state), restricted(5, g.custodian.address, g.alice.address, 100 * OZ):
        g.custodian.reclaim(g.alice, rid)
    g.token.set_address_frozen(g.m.agent, g.alice.address, False)
    receipt = g.custodian.reclaim(g.bob, rid)  # anyone may send it; the tokens go to the holder
    assert event_args(g.custodian, receipt, "RedemptionReturned") == [
        {"id": rid, "holder": g.alice.address, "amount": 100 * OZ}
    ]
    assert g.token.raw_balance_of(g.alice.address) == 1000 * OZ
    assert g.custodian.redemption(rid).status == RedemptionStatus.REJECTED
    assert g.custodian.raw.escrowed() == 0


def test_a_frozen_holder_cannot_put_tokens_in_escrow(gold: Gold) -> None:
    g = gold
    g.token.set_address_frozen(g.m.agent, g.alice.address, True)
    with unchanged(g.m.chain, g.alice, watch=g.state), restricted(4, g.alice.address, g.custodian.address, OZ):
        g.custodian.request_redemption(g.alice, Decimal(1))


def test_the_escrow_works_for_a_holder_whose_kyc_expired(gold: Gold) -> None:
    g = gold
    (dave,) = g.m.onboard("GOLD-DAVE", ttl=30 * DAY)
    g.token.mint(g.m.issuer, dave.address, Decimal(150))
    g.m.chain.increase_time(31 * DAY)
    g.m.chain.mine()
    with unchanged(g.m.chain, dave, watch=g.state), restricted(15, dave.address, g.bob.address, OZ):
        g.token.transfer(dave, g.bob.address, Decimal(1))  # dave cannot sell to anyone ...
    first = request(g, dave, 100 * OZ)  # ... but can redeem
    second = request(g, dave, 50 * OZ)
    assert g.token.raw_balance_of(dave.address) == 0
    g.custodian.add_bars(g.vault, [bar("HK-0004", "400", 9999)])
    g.custodian.fulfil(g.vault, first, ["HK-0001"])
    assert g.custodian.redemption(first).status == RedemptionStatus.FULFILLED
    # a rejection cannot hand tokens to a wallet whose KYC lapsed: they wait for a renewed KYC
    g.custodian.reject(g.vault, second, "NO-BAR-AVAILABLE")
    assert g.custodian.redemption(second).status == RedemptionStatus.RETURN_PENDING
    with unchanged(g.m.chain, dave, watch=g.state), restricted(16, g.custodian.address, dave.address, 50 * OZ):
        g.custodian.reclaim(dave, second)
    renewed = datetime.fromtimestamp(g.m.chain.timestamp(), tz=UTC) + timedelta(days=365)
    g.m.registry.renew_kyc(g.m.admin, "GOLD-DAVE", renewed)
    g.custodian.reclaim(dave, second)
    assert g.token.raw_balance_of(dave.address) == 50 * OZ
    assert g.token.raw.total_supply() == 1050 * OZ


def test_a_rejection_while_paused_waits_for_the_unpause(gold: Gold) -> None:
    g = gold
    rid = request(g, g.alice, 10 * OZ)
    g.token.pause(g.m.pauser)
    g.custodian.reject(g.vault, rid, "PAUSED")
    assert g.custodian.redemption(rid).status == RedemptionStatus.RETURN_PENDING
    g.token.unpause(g.m.pauser)
    g.custodian.reclaim(g.alice, rid)
    assert g.token.raw_balance_of(g.alice.address) == 1000 * OZ


def test_requests_below_the_minimum_or_beyond_the_balance_are_refused_before_sending(gold: Gold) -> None:
    g = gold
    c = g.custodian
    receipt = c.set_minimum_redemption(g.m.admin, Decimal(350))
    assert event_args(c, receipt, "MinimumRedemptionChanged") == [{"minimum": 350 * OZ}]
    assert c.minimum_redemption_oz() == Decimal(350)
    with unchanged(g.m.chain, g.alice, watch=g.state), pytest.raises(SpecError, match="below the desk's minimum"):
        c.request_redemption(g.alice, Decimal(100))
    with unchanged(g.m.chain, g.alice, watch=g.state), pytest.raises(SpecError, match="more than"):
        c.request_redemption(g.alice, Decimal(1001))
    with unchanged(g.m.chain, g.alice, watch=g.state), pytest.raises(SpecError, match="more than 18 decimal"):
        c.request_redemption(g.alice, Decimal("400.0000000000000000001"))
    g.token.approve(g.alice, c.address, Decimal(100))
    with (
        unchanged(g.m.chain, g.alice, watch=g.state),
        reverts("RedemptionBelowMinimum", amount=100 * OZ, minimum=350 * OZ),
    ):
        c.raw.request_redemption(g.alice, 100 * OZ)
    c.set_minimum_redemption(g.m.admin, 0)
    with unchanged(g.m.chain, g.alice, watch=g.state), reverts("RedemptionBelowMinimum", amount=0, minimum=0):
        c.raw.request_redemption(g.alice, 0)
    # with an allowance instead of a permit
    c.raw.request_redemption(g.alice, 100 * OZ)
    assert c.raw.escrowed() == 100 * OZ


def test_the_desk_refuses_requests_while_it_is_not_the_treasury(gold: Gold) -> None:
    g = gold
    g.token.set_treasury(g.m.admin, g.m.treasury.address)
    with (
        unchanged(g.m.chain, g.alice, watch=g.state),
        reverts("CustodianNotTreasury", treasury=g.m.treasury.address),
    ):
        g.custodian.request_redemption(g.alice, Decimal(1))


# --------------------------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("role", "call"),
    [
        ("CUSTODIAN_ROLE", lambda g, s: g.custodian.add_bars(s, [bar("R-1", "400", 9999)])),
        ("CUSTODIAN_ROLE", lambda g, s: g.custodian.remove_bars(s, ["HK-0001"])),
        ("CUSTODIAN_ROLE", lambda g, s: g.custodian.relocate_bars(s, ["HK-0001"], "Elsewhere")),
        ("CUSTODIAN_ROLE", lambda g, s: g.custodian.fulfil(s, 1, ["HK-0001"])),
        ("CUSTODIAN_ROLE", lambda g, s: g.custodian.reject(s, 1, "NO")),
        ("AUDITOR_ROLE", lambda g, s: g.custodian.raw.attest(s, keccak(text="r"), "ipfs://r", OZ, 1)),
        ("DEFAULT_ADMIN_ROLE", lambda g, s: g.custodian.set_minimum_redemption(s, Decimal(1))),
        ("ISSUER_ROLE", lambda g, s: g.token.mint(s, g.bob.address, Decimal(1))),
    ],
    ids=["addBars", "removeBars", "relocateBars", "fulfil", "reject", "attest", "setMinimumRedemption", "mint"],
)
def test_each_duty_is_refused_to_everyone_else(gold: Gold, role: str, call: Any) -> None:
    g = gold
    request(g, g.alice, OZ)
    # a holder, the administrator (which holds no duty but DEFAULT_ADMIN_ROLE) and another duty's holder
    others = (
        g.alice,
        g.m.admin if role != "DEFAULT_ADMIN_ROLE" else g.vault,
        g.auditor if role != "AUDITOR_ROLE" else g.vault,
    )
    for signer in others:
        with (
            unchanged(g.m.chain, signer, watch=g.state),
            reverts("AccessControlUnauthorizedAccount", account=signer.address, neededRole=role_id(role)) as refusal,
        ):
            call(g, signer)
        assert isinstance(refusal.value, MissingRole)


# --------------------------------------------------------------------------------------------- RWAToken features


def test_gold_keeps_every_compliance_feature_of_rwatoken(gold: Gold) -> None:
    g = gold
    t, a, b = g.token, g.alice, g.bob
    stranger = extra_account("gold:stranger2").address
    with unchanged(g.m.chain, a, watch=g.state), restricted(3, a.address, stranger, OZ):
        t.transfer(a, stranger, Decimal(1))
    t.freeze_partial(g.m.agent, a.address, Decimal(990))
    with unchanged(g.m.chain, a, watch=g.state), reverts("ERC7943InsufficientUnfrozenBalance", unfrozen=10 * OZ):
        t.transfer(a, b.address, Decimal(11))
    t.forced_transfer(g.m.agent, a.address, b.address, Decimal(995))
    assert t.raw_balance_of(b.address) == 995 * OZ and t.raw.get_frozen_tokens(a.address) == 5 * OZ
    t.pause(g.m.pauser)
    with unchanged(g.m.chain, b, watch=g.state), restricted(1, b.address, a.address, OZ):
        t.transfer(b, a, Decimal(1))
    t.unpause(g.m.pauser)
    new_wallet = extra_account("gold:bob-new")
    fund(g.m.chain, new_wallet)
    g.m.registry.raw.add_wallet(g.m.admin, text32("GOLD-BOB", "id"), new_wallet.address)
    t.recover(g.m.agent, b.address, new_wallet.address, "GOLD-BOB")
    assert t.raw_balance_of(new_wallet.address) == 995 * OZ and t.raw_balance_of(b.address) == 0
    assert t.raw.total_supply() == 1000 * OZ


def test_no_escrow_while_paused(gold: Gold) -> None:
    g = gold
    g.token.pause(g.m.pauser)
    with unchanged(g.m.chain, g.alice, watch=g.state), restricted(1, g.alice.address, g.custodian.address, OZ):
        g.custodian.request_redemption(g.alice, Decimal(1))


def test_a_front_run_permit_does_not_block_the_request(gold: Gold) -> None:
    g = gold
    c = g.custodian
    permit = g.token.sign_permit(g.alice, c.address, Decimal(5))
    g.token.permit(g.bob, permit)  # someone else submits the permit first: the allowance is in place
    receipt = c.raw.request_redemption_with_permit(
        g.alice, 5 * OZ, permit["deadline"], permit["v"], permit["r"], permit["s"]
    )
    assert event_args(c, receipt, "RedemptionRequested") == [{"id": 1, "holder": g.alice.address, "amount": 5 * OZ}]
    assert g.token.raw.allowance(g.alice.address, c.address) == 0
    # without a permit or an allowance, the escrow is refused by the token and nothing is recorded
    with (
        unchanged(g.m.chain, g.alice, watch=g.state),
        reverts("ERC20InsufficientAllowance", spender=c.address, allowance=0, needed=5 * OZ),
    ):
        c.raw.request_redemption_with_permit(g.alice, 5 * OZ, permit["deadline"], permit["v"], permit["r"], permit["s"])


def test_deploy_with_an_explicit_treasury_and_a_minimum(gold: Gold) -> None:
    g = gold
    token = GoldToken.deploy(
        g.m.chain, g.m.admin, name="HK Gold B", symbol="HKAUB", registry=g.m.registry.address,
        treasury=g.m.treasury.address, admin_module=g.m.admin_module, minimum_redemption=Decimal(350),
    )  # fmt: skip
    assert token.treasury() == g.m.treasury.address
    assert token.custodian.minimum_redemption_oz() == Decimal(350)
    assert token.custodian.has_role("CUSTODIAN_ROLE", g.m.admin.address)
    assert token.custodian.has_role("AUDITOR_ROLE", g.m.admin.address)
    assert token.admin_module() == g.m.admin_module


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.custodian.add_bars(g.vault, []), "add_bars needs at least one bar"),
        (lambda g: g.custodian.add_bars(g.vault, [{**BARS[0].model_dump(), "fineness": 9000}]), "fineness 9000"),
        (lambda g: g.custodian.remove_bars(g.vault, []), "serials must be a non-empty list"),
        (lambda g: g.custodian.remove_bars(g.vault, "HK-0001"), "serials must be a non-empty list"),
        (lambda g: g.custodian.remove_bars(g.vault, ["S" * 33]), "is 33 bytes of UTF-8"),
        (lambda g: g.custodian.fulfil(g.vault, 1, []), "serials must be a non-empty list"),
        (lambda g: g.custodian.reject(g.vault, 1, b"short"), "reason must be 32 bytes, got 5"),
        (lambda g: g.custodian.reject(g.vault, 1, "R" * 33), "reason 'RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR' is 33 bytes"),
        (lambda g: g.custodian.reject(g.vault, True, "R"), "request id True is invalid"),
        (lambda g: g.custodian.set_minimum_redemption(g.m.admin, Decimal(-1)), "minimum -1 must be a finite"),
        (lambda g: g.custodian.request_redemption(g.alice, 1.5), "amount 1.5 has type float"),
        (lambda g: g.custodian.attest(g.auditor, {"report_hash": b"x", "uri": "u", "ounces": 1, "as_of": 0}),
         "invalid Attestation: report_hash: must be 32 bytes"),
    ],
    ids=["no-bars", "bad-bar", "no-serials", "serials-str", "long-serial", "fulfil-no-bars", "short-reason",
         "long-reason", "bool-id", "negative-minimum", "float-amount", "bad-attestation"],
)  # fmt: skip
def test_a_bad_input_to_the_custodian_wrapper_sends_nothing(gold: Gold, call: Any, message: str) -> None:
    g = gold
    signers = (g.vault, g.auditor, g.alice, g.m.admin)
    with unchanged(g.m.chain, *signers, watch=g.state), pytest.raises(SpecError) as refusal:
        call(g)
    assert message in str(refusal.value)


# --------------------------------------------------------------------------------------------- attestation liveness

ATTESTATION_STALE = int(GoldCode.ATTESTATION_STALE)


def test_with_a_maximum_attestation_age_mints_stop_when_the_attestation_is_stale(gold: Gold) -> None:
    g = gold
    t, c, bob = g.token, g.custodian, g.bob.address
    assert c.max_attestation_age() is None and c.raw.mint_reserve() == (RESERVE, True)
    receipt = c.set_max_attestation_age(g.m.admin, timedelta(days=35))
    assert event_args(c, receipt, "MaxAttestationAgeChanged") == [{"maxAge": 35 * DAY}]
    assert c.max_attestation_age() == timedelta(days=35)
    # no attestation yet: no mint, by every path; a zero mint and every non-mint path are untouched
    assert c.raw.mint_reserve() == (RESERVE, False)
    assert t.raw.detect_transfer_restriction(ZERO, bob, OZ) == ATTESTATION_STALE == 73
    assert t.raw.can_transfer(ZERO, bob, OZ) is False
    assert t.check_transfer(ZERO, bob, Decimal(1)).reason == "gold reserve attestation stale" == ASSET_MESSAGES[73]
    assert t.message_for_restriction(73) == ASSET_MESSAGES[73]
    assert t.raw.detect_transfer_restriction(ZERO, bob, 0) == 0
    with unchanged(g.m.chain, g.m.issuer, watch=g.state), restricted(ATTESTATION_STALE, ZERO, bob, OZ):
        t.raw.mint(g.m.issuer, bob, OZ)
    with unchanged(g.m.chain, g.m.issuer, watch=g.state), restricted(ATTESTATION_STALE, ZERO, bob, OZ):
        t.raw.batch_mint(g.m.issuer, [bob], [OZ])
    t.transfer(g.alice, bob, Decimal(1))
    request(g, g.alice, OZ)
    # an attestation as of 30 days ago: fresh for 5 more days; the reserve rule still applies
    c.attest(g.auditor, _attestation(g, "1209.7140525", 30))
    assert t.raw.detect_transfer_restriction(ZERO, bob, RESERVE) == MINT_EXCEEDS_RESERVE
    t.mint(g.m.issuer, bob, Decimal(1))
    g.m.chain.increase_time(5 * DAY + 60)
    g.m.chain.mine()
    with unchanged(g.m.chain, g.m.issuer, watch=g.state), restricted(ATTESTATION_STALE, ZERO, bob, OZ):
        t.raw.mint(g.m.issuer, bob, OZ)
    c.attest(g.auditor, _attestation(g, "1209.7140525", 0, 2))
    t.mint(g.m.issuer, bob, Decimal(1))
    assert t.raw.total_supply() == 1002 * OZ
    c.set_max_attestation_age(g.m.admin, None)
    assert c.max_attestation_age() is None


def test_staleness_never_blocks_removals_redemptions_or_transfers(gold: Gold) -> None:
    g = gold
    c = g.custodian
    c.set_max_attestation_age(g.m.admin, 60)
    g.token.burn(g.m.issuer, g.alice.address, Decimal(300))
    c.remove_bars(g.vault, ["HK-0003"])
    rid = request(g, g.alice, 400 * OZ)
    c.fulfil(g.vault, rid, ["HK-0001"])
    g.token.transfer(g.alice, g.bob.address, Decimal(100))
    assert g.token.raw.total_supply() == 300 * OZ


def test_the_maximum_attestation_age_is_the_admins_and_validated(gold: Gold) -> None:
    g = gold
    for signer in (g.vault, g.auditor, g.alice):
        with (
            unchanged(g.m.chain, signer, watch=g.state),
            reverts("AccessControlUnauthorizedAccount", account=signer.address, neededRole=bytes(32)),
        ):
            g.custodian.set_max_attestation_age(signer, 60)
    for bad in (-1, 2**32, timedelta(seconds=1.5), "60", True):
        with unchanged(g.m.chain, g.m.admin), pytest.raises(SpecError, match="max_attestation_age"):
            g.custodian.set_max_attestation_age(g.m.admin, bad)  # type: ignore[arg-type]
    with (
        unchanged(g.m.chain, g.auditor, watch=g.state),
        reverts("InvalidAttestation"),
    ):
        g.custodian.raw.attest(g.auditor, keccak(text="r"), "ipfs://r", OZ, 0)


def test_deploy_can_set_the_maximum_attestation_age(gold: Gold) -> None:
    g = gold
    token = GoldToken.deploy(
        g.m.chain, g.m.admin, name="HK Gold C", symbol="HKAUC", registry=g.m.registry,
        admin_module=g.m.admin_module, max_attestation_age=timedelta(days=35),
    )  # fmt: skip
    assert token.custodian.max_attestation_age() == timedelta(days=35)
    with unchanged(g.m.chain, g.m.admin), pytest.raises(SpecError, match="max_attestation_age"):
        GoldToken.deploy(g.m.chain, g.m.admin, name="X", symbol="X", registry=g.m.registry, max_attestation_age=-5)
