"""The gold story (``hktoken demo --asset gold``): bar-backed gold tokens, one token per fine troy ounce.

The custodian lists three LBMA Good Delivery bars in its Hong Kong vault; the issuer mints against that reserve and
a mint beyond it is refused with the gold token's own code 72; the auditor attests the reserve; a holder sells to a
broker by DvP against HKD; another asks for physical gold and the custodian fulfils the request with one bar, whose
fine weight leaves the reserve as the escrowed tokens are burned.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from eth_utils.crypto import keccak

from hktoken.chain.connection import Chain
from hktoken.contracts.gold import GoldToken
from hktoken.contracts.token import TokenRoles
from hktoken.demo.story import (
    Cast,
    Story,
    approve_max,
    block_mark,
    chain_now,
    deploy_market,
    onboard_investors,
    receipts_since,
    require_time_travel,
    signed_trade,
    travel_to,
    units,
)
from hktoken.errors import HKTokenError, TransferRestricted
from hktoken.models.gold import Attestation, GoldBar
from hktoken.models.investor import InvestorClass
from hktoken.reports.captable import build_cap_table
from hktoken.units import format_units

ZERO = "0x0000000000000000000000000000000000000000"
VAULT = "HK Airport Vault"
BARS = (
    GoldBar(serial="HKAU-0001", refiner="Heraeus Hong Kong", gross_oz=Decimal("400.125"), fineness=9999, vault=VAULT),
    GoldBar(serial="HKAU-0002", refiner="Heraeus Hong Kong", gross_oz=Decimal("399.870"), fineness=9995, vault=VAULT),
    GoldBar(serial="HKAU-0003", refiner="PAMP Hong Kong", gross_oz=Decimal("410.000"), fineness=9999, vault=VAULT),
)
MINTS = {"professional": Decimal(1100), "retail": Decimal(5)}
TRADE = Decimal(100)  # ounces the professional investor sells to the broker
PRICE_PER_OZ = Decimal("20512.50")  # HKD
REPORT_URI = "https://example.com/attestations/hkau-demo.pdf"


def run_gold_story(chain: Chain, cast: Cast) -> Story:
    """List bars, mint against them (one mint refused with code 72), attest, trade by DvP, redeem a bar; returns
    every step with its gas, the reserve figures and the cap table."""
    require_time_travel(chain)
    story = Story("gold", "Tokenized gold: 1 HKAU = 1 fine troy ounce in a Hong Kong vault", chain.chain_id)
    admin, issuer, vault, auditor = cast.admin, cast.issuer, cast.agent, cast.auditor

    story.chapter("1. Deploy the gold suite")
    market = deploy_market(story, chain, admin)
    registry, hkd, dvp = market.registry, market.hkd, market.dvp
    mark = block_mark(chain)
    token = GoldToken.deploy(
        chain, admin, name="HK Gold", symbol="HKAU", registry=registry,
        roles=TokenRoles(issuers=[issuer.address], agents=[vault.address], pausers=[admin.address],
                         compliance_admins=[admin.address]),
        custodians=[vault.address], auditors=[auditor.address],
    )  # fmt: skip
    custodian = token.custodian
    story.sent(
        "gold",
        f"gold token HKAU at {token.address} (18 decimals) and its custodian {custodian.address} (the token's "
        "treasury and redemption desk)",
        receipts_since(chain, mark, admin.address),
    )
    story.addresses.update(gold=token.address, custodian=custodian.address, vault=vault.address,
                           auditor=auditor.address, issuer=issuer.address)  # fmt: skip

    story.chapter("2. Onboard investors")
    onboard_investors(
        story, market, admin,
        [("PI-0001", cast.professional, InvestorClass.PROFESSIONAL, False),
         ("BROKER-OMNIBUS-01", cast.broker, InvestorClass.INSTITUTIONAL, True),
         ("RI-0001", cast.retail, InvestorClass.RETAIL, False)],
    )  # fmt: skip
    story.addresses.update(professional=cast.professional.address, broker=cast.broker.address,
                           retail=cast.retail.address)  # fmt: skip

    story.chapter("3. Bars into custody, tokens minted against them")
    story.sent(
        "bars",
        "the custodian listed "
        + ", ".join(f"{b.serial} ({format_units(b.gross_oz)} oz gross, fineness {b.fineness})" for b in BARS)
        + f" in {VAULT}",
        custodian.add_bars(vault, list(BARS)),
    )
    story.noted("reserve", f"reserve: {units(custodian.reserve_oz(), 'oz')} fine, the sum of the bars' fine weights")
    people = {"professional": cast.professional, "retail": cast.retail}
    mints = [token.mint(issuer, people[name].address, amount) for name, amount in MINTS.items()]
    story.sent(
        "mint",
        "issuer minted "
        + ", ".join(f"{units(a, 'HKAU')} to {name}" for name, a in MINTS.items())
        + f": headroom left {units(custodian.mint_headroom_oz(), 'oz')}",
        mints,
    )
    over = custodian.mint_headroom_oz() + 1
    check = token.check_transfer(ZERO, cast.retail.address, over)
    story.noted(
        "precheck",
        f"pre-check of a mint of {units(over, 'HKAU')} (1 oz beyond the reserve): code {check.code}, {check.reason!r}",
        code=check.code,
        reason=check.reason,
    )
    supply = (token.raw.total_supply(), chain.w3.eth.get_transaction_count(issuer.address))
    try:
        token.mint(issuer, cast.retail.address, over)
    except TransferRestricted as refusal:
        story.noted(
            "refused",
            f"the mint reverted with TransferRestricted(code={refusal.code}, reason={refusal.reason!r}): nothing "
            f"sent, supply still {units(token.from_units(token.raw.total_supply()), 'HKAU')}",
            code=refusal.code,
            reason=refusal.reason,
            nothing_moved=(token.raw.total_supply(), chain.w3.eth.get_transaction_count(issuer.address)) == supply,
        )
    else:  # pragma: no cover - the token would have minted beyond its reserve
        raise HKTokenError("a mint beyond the gold reserve succeeded", fix="check the GoldToken artifact")

    story.chapter("4. The auditor attests the reserve")
    travel_to(chain, chain_now(chain) + timedelta(days=1))
    as_of = chain_now(chain) - timedelta(hours=1)
    attestation = Attestation(
        report_hash=keccak(text="HKAU demo reserve report"), uri=REPORT_URI, ounces=custodian.reserve_oz(), as_of=as_of
    )
    story.sent(
        "attest",
        f"a day later the auditor attested {units(attestation.ounces, 'oz')} as of {as_of:%Y-%m-%d %H:%M} UTC "
        f"({REPORT_URI})",
        custodian.attest(auditor, attestation),
    )

    story.chapter("5. A trade by DvP against HKD")
    price = TRADE * PRICE_PER_OZ
    setup = [
        hkd.mint(admin, cast.broker.address, price),
        approve_max(hkd, cast.broker, dvp.address),
        approve_max(token, cast.professional, dvp.address),
    ]
    story.sent("approvals", f"the broker got {units(price, 'HKD')}; both parties approved the DvP contract", setup)
    trade, seller_sig, buyer_sig = signed_trade(
        dvp, seller=cast.professional, buyer=cast.broker, asset=token, amount=TRADE, payment=hkd, price=price,
        submitter=cast.broker,
    )  # fmt: skip
    story.sent(
        "trade",
        f"DvP: PI-0001 -> BROKER-OMNIBUS-01: {units(TRADE, 'HKAU')} at HK${format_units(PRICE_PER_OZ)}/oz "
        f"({units(price, 'HKD')})",
        dvp.settle(cast.broker, trade, seller_sig, buyer_sig),
    )

    story.chapter("6. Physical redemption of one bar")
    bar = BARS[0]
    request = custodian.request_redemption(cast.professional, bar.fine_oz)
    request_id = custodian.redemption_id(request)
    story.sent(
        "request",
        f"PI-0001 asked for physical gold: {units(bar.fine_oz, 'HKAU')} escrowed with the custodian (request "
        f"#{request_id}, one transaction with an EIP-2612 permit)",
        request,
    )
    story.sent(
        "fulfil",
        f"the custodian released bar {bar.serial} ({units(bar.fine_oz, 'oz')} fine) and burned the escrowed tokens",
        custodian.fulfil(vault, request_id, [bar.serial]),
    )
    ratio = token.reserve_ratio()
    story.noted(
        "ratio",
        f"reserve {units(custodian.reserve_oz(), 'oz')} in {custodian.bar_count()} bars against a supply of "
        f"{units(token.total_supply(), 'HKAU')}: reserve ratio {format_units(ratio) if ratio is not None else 'n/a'}",
    )
    story.cap_tables["final"] = build_cap_table(token)
    story.figures.update(
        {
            "supply_oz": format_units(token.total_supply()),
            "reserve_oz": format_units(custodian.reserve_oz()),
            "reserve_ratio": format_units(ratio) if ratio is not None else "",
            "bars": str(custodian.bar_count()),
            "redemption_status": custodian.redemption(request_id).status.name,
            "professional_hkd": format_units(hkd.balance_of(cast.professional.address)),
        }
    )
    return story
