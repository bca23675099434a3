"""``hktoken bond``: a fixed-rate bond's lifecycle (``contracts/assets/bond``): its coupon schedule, coupon and
principal funding, claims and pushes, redemption and the early call. Money is in the payment token's units (HKD,
its decimals enforced before anything is sent); every refusal is one line and sends nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from eth_typing import ChecksumAddress, HexStr
from web3.types import TxReceipt

from hktoken.abi import role_id
from hktoken.bulk.coupons import push_coupons
from hktoken.bulk.onboard import parse_expiry
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import Kind, resolve, token_option
from hktoken.cli.status_cmd import StatusSection, register_status_section
from hktoken.contracts.bond import BondToken
from hktoken.contracts.stablecoin import HKDStablecoin
from hktoken.contracts.token import RWAToken
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.units import from_base_units, to_base_units

PRINCIPAL = "principal"


def bond_at(session: Session, ref: str) -> BondToken:
    """The bond ``ref`` names; one line when it is another kind of token."""
    address = resolve(session, ref, Kind.TOKEN)
    token = RWAToken.at(session.chain, address)
    if not is_bond(token):
        raise SpecError(f"--token {address} is not a BondToken", fix="pass the address or manifest name of a bond")
    return BondToken(session.chain, address)


def is_bond(token: RWAToken) -> bool:
    """Whether ``token`` is a BondToken (it answers ``paying_agent()`` and ``isin()``)."""
    bond = BondToken(token.chain, token.address)
    try:
        bond.raw.paying_agent()
        bond.raw.isin()
    except Exception:  # any failure: not a bond
        return False
    return True


@click.group("bond")
def bond_group() -> None:
    """A fixed-rate bond: schedule, fund-coupon, claim, push, redeem, call."""


def _bond_command(name: str, help: str, *, sends: bool = True) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(function: Callable[..., None]) -> click.Command:
        options = (pass_session, json_option, *((signer_options,) if sends else ()), node_options, token_option)
        for option in options:
            function = option(function)
        return bond_group.command(name, help=help)(function)

    return decorate


def _money(bond: BondToken, text: str, what: str) -> Decimal:
    """``text`` in payment-token units, refused when not a positive number or finer than its decimals."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise SpecError(f"{what} {text!r} is not a positive number", fix="write it like 1000 or 1001.25")
    to_base_units(value, bond.payment_decimals, what=what)
    return value


def _payment(bond: BondToken) -> HKDStablecoin:
    return HKDStablecoin(bond.chain, bond.raw.currency())


def _has(bond: BondToken, role: str, account: ChecksumAddress, *, agent: bool) -> None:
    contract = bond.paying_agent if agent else bond
    if not contract.raw.has_role(role_id(role), account):
        raise SpecError(f"{account} lacks {role}", fix="grant it with grantRole, or sign with an account that has it")


@_bond_command("schedule", "The coupon schedule: record dates, coupon per token, recorded and funded.", sends=False)
def schedule_command(session: Session, token_ref: str) -> None:
    bond = bond_at(session, token_ref)
    coupons = bond.schedule()
    recorded, funded = bond.recorded_coupons(), bond.funded_coupons()
    currency = bond.raw.currency_code().decode()
    rows = [
        [str(c.index), display.when(c.record_date), display.amount(c.per_token, currency),
         display.yes_no(c.index < recorded), display.yes_no(c.index < funded)]
        for c in coupons
    ]  # fmt: skip
    data = [
        {"index": c.index, "record_date": c.record_date.isoformat(), "per_token": display.amount(c.per_token),
         "recorded": c.index < recorded, "funded": c.index < funded}
        for c in coupons
    ]  # fmt: skip
    session.emit(
        display.table(["coupon", "record date", "per token", "recorded", "funded"], rows, right=["per token"]),
        {"token": bond.address, "coupons": data},
    )


@_bond_command(
    "fund-coupon",
    "Deposit coupon INDEX (or 'principal', once redeemable) with the paying agent, from the signer (FUNDER_ROLE): "
    "approves the agent for exactly the amount due, then funds.",
)
@click.argument("which")
def fund_coupon_command(session: Session, token_ref: str, which: str) -> None:
    bond = bond_at(session, token_ref)
    signer = session.signer.address
    agent = bond.paying_agent
    _has(bond, "FUNDER_ROLE", signer, agent=True)
    if which == PRINCIPAL:
        supply = bond.total_supply() - bond.balance_of(bond.treasury())
        call = bond.call_terms()
        due = (call.price if call else bond.terms().denomination) * supply
        label = "the principal"
    else:
        if not which.isdigit():
            raise SpecError(f"coupon {which!r} is not a coupon index", fix="pass 0, 1, ... or 'principal'")
        index = int(which)
        count = len(bond.terms().coupon_dates)
        if index >= count:
            raise SpecError(f"the bond has {count} coupons (0 to {count - 1})", fix=f"pass 0 to {count - 1}")
        due = agent.coupon_funding(index)
        label = f"coupon {index}"
    payment = _payment(bond)
    currency = bond.raw.currency_code().decode()
    balance = payment.balance_of(signer)
    if due > balance:
        raise SpecError(
            f"{label} needs {display.amount(due, currency)} and {signer} holds {display.amount(balance, currency)}",
            fix="fund the signer's payment-token balance first",
        )
    receipts: list[TxReceipt] = []
    if due > 0 and payment.allowance(signer, agent.address) < due:
        receipts.append(payment.approve(session.signer, agent.address, due))
    receipts.append(
        bond.fund_principal(session.signer) if which == PRINCIPAL else bond.fund_coupon(session.signer, index)
    )
    display.sent(
        session,
        f"funded {label} of {bond.symbol} with {display.amount(due, currency)}",
        {"action": "fund", "what": which, "amount": display.amount(due)},
        receipts,
    )


@_bond_command("claim", "The signer claims every recorded, funded coupon it is owed, in one transfer.")
def claim_command(session: Session, token_ref: str) -> None:
    bond = bond_at(session, token_ref)
    signer = session.signer.address
    owed = bond.claimable(signer)
    currency = bond.raw.currency_code().decode()
    if owed == 0:
        raise SpecError(f"{signer} has no funded coupon to claim", fix="wait until a coupon is recorded and funded")
    receipt = bond.claim(session.signer)
    display.sent(
        session,
        f"claimed {display.amount(owed, currency)} of coupons of {bond.symbol} for {signer}",
        {"action": "claim", "holder": signer, "amount": display.amount(owed)},
        [receipt],
    )


@_bond_command(
    "push",
    "Pay the coupons owed to each HOLDER, or with --all to every holder in node-sized batches, journaled and "
    "resumable (PAYER_ROLE); one that cannot be paid is skipped.",
)
@click.argument("holders", nargs=-1)
@click.option("--all", "everyone", is_flag=True, default=False, help="Every wallet that ever held the bond.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the --all run's journal (deployments/<chain>/runs/; default: the current folder).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="With --all: at most N holders a tx.")
def push_command(
    session: Session, token_ref: str, holders: tuple[str, ...], everyone: bool, out: Path | None,
    batch_size: int | None,
) -> None:  # fmt: skip
    if everyone == bool(holders):
        raise SpecError("name the holders to pay, or pass --all (not both)", fix="e.g. `hktoken bond push --all`")
    wallets = [to_address(h, what="holder") for h in holders]
    bond = bond_at(session, token_ref)
    _has(bond, "PAYER_ROLE", session.signer.address, agent=True)
    if everyone:
        _push_all(session, bond, out or Path.cwd(), batch_size)
        return
    currency = bond.raw.currency_code().decode()
    with display.progress(f"paying {display.plural(len(wallets), 'holder')}"):
        receipt = bond.pay_coupons(session.signer, wallets)
    outcome = bond.paying_agent.push_outcome(receipt)  # what was paid, from the receipt: a skipped holder gets 0
    decimals = bond.payment_decimals
    total = from_base_units(sum(units for _, units in outcome.paid), decimals)
    text = (
        f"pushed {display.amount(total, currency)} of coupons of {bond.symbol} to "
        f"{display.plural(len(outcome.paid), 'holder')} of {len(wallets)}"
    )
    text += _unpaid_clause(outcome.skipped)
    display.sent(
        session,
        text,
        {"action": "push", "holders": wallets,
         "paid": [{"holder": w, "amount": display.amount(from_base_units(u, decimals))} for w, u in outcome.paid],
         "unpaid": _unpaid_data(outcome.skipped)},
        [receipt],
    )  # fmt: skip


def _unpaid_clause(unpaid: Sequence[tuple[str, str]]) -> str:
    """What a push says of the holders it could not pay (skipped or refused, with the refusal), or nothing."""
    if not unpaid:
        return ""
    wallet, reason = unpaid[0]
    return f"; {display.plural(len(unpaid), 'holder')} could not be paid and still owed, first {wallet}: {reason}"


def _unpaid_data(unpaid: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The ``--json`` form of the holders a push could not pay."""
    return [{"holder": wallet, "reason": reason} for wallet, reason in unpaid]


def _push_all(session: Session, bond: BondToken, out: Path, batch_size: int | None) -> None:
    currency = bond.raw.currency_code().decode()
    with display.progress("paying every holder: batches mined", total=1) as bar:
        result = push_coupons(session.chain, session.signer, bond, out=out, max_rows=batch_size,
                              progress=display.blocks_read(bar))  # fmt: skip
    total = from_base_units(result.owed_units, bond.payment_decimals)
    text = (
        f"pushed {display.amount(total, currency)} of coupons of {bond.symbol} to "
        f"{display.plural(result.pushed - result.unpaid, 'holder')} of {result.holders} in "
        f"{display.plural(len(result.transactions), 'transaction')}"
    )
    unpaid = result.skipped + result.refused
    text += _unpaid_clause(unpaid)
    receipts = [session.chain.w3.eth.get_transaction_receipt(HexStr(h)) for h in result.transactions]
    display.sent(
        session,
        text,
        {"action": "push", "holders": result.holders, "pushed": result.pushed, "amount": display.amount(total),
         "unpaid": _unpaid_data(unpaid),
         "journal": str(result.journal), "gas_used": result.gas_used},
        receipts,
    )  # fmt: skip


@_bond_command(
    "redeem",
    "Redeem the signer's bonds (principal and unpaid coupons in one transfer), or with --for those of each holder "
    "(PAYER_ROLE), once the bond has matured or been called and its principal funded.",
)
@click.option("--for", "holders", multiple=True, help="Redeem for this holder (repeatable; PAYER_ROLE).")
def redeem_command(session: Session, token_ref: str, holders: tuple[str, ...]) -> None:
    wallets = [to_address(h, what="holder") for h in holders]
    bond = bond_at(session, token_ref)
    signer = session.signer.address
    targets = wallets or [signer]
    if wallets:
        _has(bond, "PAYER_ROLE", signer, agent=True)
    for wallet in targets:
        if bond.balance_of(wallet) == 0:
            raise SpecError(f"{wallet} holds no {bond.symbol}", fix="redeem for a holder of the bond")
    if bond.paying_agent.principal_reserve() == 0:
        raise SpecError(
            f"the principal of {bond.symbol} is not funded",
            fix="once the bond has matured or been called, run `hktoken bond fund-coupon principal`",
        )
    amounts = [bond.balance_of(w) for w in targets]
    receipt = bond.redeem_for(session.signer, wallets) if wallets else bond.redeem(session.signer)
    total = sum(amounts, Decimal(0))
    display.sent(
        session,
        f"redeemed {display.amount(total, bond.symbol)} for {display.plural(len(targets), 'holder')}",
        {"action": "redeem", "holders": targets, "amounts": [display.amount(a) for a in amounts]},
        [receipt],
    )


@_bond_command(
    "call",
    "Call the bond early (CALLER_ROLE): from --date (at least the minimum notice away, before maturity) it redeems "
    "at --price per whole token, in the payment token's units.",
)
@click.option("--date", "call_date", required=True, help="YYYY-MM-DD (midnight UTC) or an ISO date-time.")
@click.option("--price", required=True, help="The call price per whole token, e.g. 1005.")
def call_command(session: Session, token_ref: str, call_date: str, price: str) -> None:
    moment = _date(call_date)
    bond = bond_at(session, token_ref)
    value = _money(bond, price, "price")
    _has(bond, "CALLER_ROLE", session.signer.address, agent=False)
    currency = bond.raw.currency_code().decode()
    receipt = bond.call(session.signer, moment, value)
    display.sent(
        session,
        f"called {bond.symbol} from {display.when(moment)} at {display.amount(value, currency)} per token",
        {"action": "call", "date": moment.isoformat(), "price": display.amount(value)},
        [receipt],
    )


def _date(text: str) -> datetime:
    try:
        return parse_expiry(text).astimezone(UTC)
    except SpecError as exc:
        raise SpecError(f"--date {text!r} is not a date", fix="write it as YYYY-MM-DD, e.g. 2027-06-30") from exc


# --- hktoken status -------------------------------------------------------------------------------------------


def _status_lines(token: RWAToken) -> list[tuple[str, str]]:
    bond = BondToken(token.chain, token.address)
    terms = bond.terms()
    call = bond.call_terms()
    currency = terms.currency
    return [
        ("isin", terms.isin),
        ("denomination", display.amount(terms.denomination, currency)),
        ("coupon", f"{terms.coupon_rate_bps / 100:.2f}% x {terms.coupon_frequency}/year "
                   f"({display.amount(terms.coupon_per_token, currency)} per token)"),
        ("issued", display.when(terms.issue_date)),
        ("maturity", display.when(terms.maturity_date)),
        ("coupons", f"{bond.recorded_coupons()} of {len(terms.coupon_dates)} recorded, {bond.funded_coupons()} funded"),
        ("paying agent", bond.paying_agent.address),
        ("principal reserve", display.amount(bond.paying_agent.principal_reserve(), currency)),
        ("call", f"from {display.when(call.call_date)} at {display.amount(call.price, currency)}" if call else "none"),
    ]  # fmt: skip


register_status_section(StatusSection("BondToken", is_bond, _status_lines))
