"""``hktoken fund``: a tokenized fund's dealing (``contracts/assets/fund``): the NAV (published, confirmed beyond
the move bound, struck), subscriptions and redemptions in creation units, claims and cancellations. Cash is in the
payment token's units, shares in the share token's (decimals enforced before anything is sent); every refusal is
one line and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from eth_typing import ChecksumAddress, HexStr
from web3.types import TxReceipt

from hktoken.abi import role_id
from hktoken.bulk.fund import settle_fund_claims
from hktoken.bulk.onboard import parse_expiry
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import Kind, resolve, token_option
from hktoken.cli.status_cmd import StatusSection, register_status_section
from hktoken.contracts.fund import FundAdministrator, FundToken
from hktoken.contracts.token import RWAToken
from hktoken.errors import SpecError
from hktoken.units import to_base_units


def fund_at(session: Session, ref: str) -> FundToken:
    """The fund share class ``ref`` names; one line when it is another kind of token."""
    address = resolve(session, ref, Kind.TOKEN)
    token = RWAToken.at(session.chain, address)
    if not is_fund(token):
        raise SpecError(f"--token {address} is not a FundToken", fix="pass the address or manifest name of a fund")
    return FundToken(session.chain, address)


def is_fund(token: RWAToken) -> bool:
    """Whether ``token`` is a FundToken whose treasury is its administrator."""
    try:
        fund = FundToken(token.chain, token.address)
        fund.raw.management_fee_bps()
        return fund.administrator().raw.share_token() == token.address
    except Exception:  # any failure: not a fund
        return False


@click.group("fund")
def fund_group() -> None:
    """A tokenized fund: set-nav, confirm-nav, subscribe, redeem, strike, claim, settle, cancel."""


def _fund_command(name: str, help: str) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(function: Callable[..., None]) -> click.Command:
        for option in (pass_session, json_option, signer_options, node_options, token_option):
            function = option(function)
        return fund_group.command(name, help=help)(function)

    return decorate


def _has(administrator: FundAdministrator, role: str, account: ChecksumAddress) -> None:
    if not administrator.raw.has_role(role_id(role), account):
        raise SpecError(f"{account} lacks {role}", fix="grant it with grantRole, or sign with an account that has it")


def _positive(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise SpecError(f"{what} {text!r} is not a positive number", fix="write it like 1000 or 25.5")
    return value


def _cash(administrator: FundAdministrator, text: str, what: str) -> Decimal:
    value = _positive(text, what)
    to_base_units(value, administrator.payment_decimals, what=what)
    return value


def _epoch(administrator: FundAdministrator, epoch: int) -> None:
    if epoch > administrator.open_epoch():
        raise SpecError(
            f"epoch {epoch} has not opened (the open epoch is {administrator.open_epoch()})",
            fix="pass the number of an epoch you dealt in",
        )


@_fund_command(
    "set-nav",
    "Publish the NAV per share (FUND_ADMIN_ROLE), in the payment token's units: it closes the open epoch (or "
    "replaces the NAV pending); a move beyond the bound needs confirm-nav before the strike.",
)
@click.argument("nav")
@click.option("--as-of", "as_of", default=None, help="The valuation time (default: the latest block's).")
def set_nav_command(session: Session, token_ref: str, nav: str, as_of: str | None) -> None:
    value = _positive(nav, "nav")
    moment = _moment(as_of) if as_of else None
    administrator = fund_at(session, token_ref).administrator()
    _has(administrator, "FUND_ADMIN_ROLE", session.signer.address)
    when = moment or datetime.fromtimestamp(session.chain.timestamp(), tz=UTC)
    receipt = administrator.publish_nav(session.signer, administrator.nav_strike(value, when))
    pending = administrator.pending_nav()
    assert pending is not None  # just published
    needs = "needs confirm-nav" if pending.needs_confirmation else "ready to strike"
    display.sent(
        session,
        f"published NAV {display.amount(value, 'HKD')} per share as of {display.when(when)} for epoch "
        f"{pending.epoch} ({needs})",
        {"action": "set-nav", "epoch": pending.epoch, "nav": display.amount(value),
         "needs_confirmation": pending.needs_confirmation},
        [receipt],
    )  # fmt: skip


@_fund_command("confirm-nav", "Confirm the pending NAV (NAV_CONFIRMER_ROLE; not its publisher): NAV is the value seen.")
@click.argument("nav")
def confirm_nav_command(session: Session, token_ref: str, nav: str) -> None:
    value = _positive(nav, "nav")
    administrator = fund_at(session, token_ref).administrator()
    _has(administrator, "NAV_CONFIRMER_ROLE", session.signer.address)
    pending = administrator.pending_nav()
    if pending is None:
        raise SpecError("no NAV is pending", fix="publish one with `hktoken fund set-nav`")
    if pending.nav_per_share != value:
        raise SpecError(
            f"the pending NAV is {display.amount(pending.nav_per_share, 'HKD')}, not {display.amount(value, 'HKD')}",
            fix="confirm the value the administrator published",
        )
    receipt = administrator.confirm_nav(session.signer, value)
    display.sent(
        session,
        f"confirmed NAV {display.amount(value, 'HKD')} for epoch {pending.epoch}",
        {"action": "confirm-nav", "epoch": pending.epoch, "nav": display.amount(value)},
        [receipt],
    )


@_fund_command("strike", "Settle the closed epoch at its NAV (FUND_ADMIN_ROLE).")
def strike_command(session: Session, token_ref: str) -> None:
    administrator = fund_at(session, token_ref).administrator()
    _has(administrator, "FUND_ADMIN_ROLE", session.signer.address)
    pending = administrator.pending_nav()
    if pending is None:
        raise SpecError("no NAV is pending", fix="publish one with `hktoken fund set-nav`")
    if pending.needs_confirmation and not pending.confirmed:
        raise SpecError(
            f"the NAV of epoch {pending.epoch} moved beyond the bound and is not confirmed",
            fix="a NAV confirmer must run `hktoken fund confirm-nav` first",
        )
    receipt = administrator.strike(session.signer)
    display.sent(
        session,
        f"struck epoch {pending.epoch} at {display.amount(pending.nav_per_share, 'HKD')} per share",
        {"action": "strike", "epoch": pending.epoch, "nav": display.amount(pending.nav_per_share)},
        [receipt],
    )


@_fund_command(
    "subscribe",
    "Escrow CASH for the whole creation units it buys at the next strike (AP_ROLE); approves the administrator "
    "first when the allowance is short.",
)
@click.argument("cash")
def subscribe_command(session: Session, token_ref: str, cash: str) -> None:
    administrator = fund_at(session, token_ref).administrator()
    value = _cash(administrator, cash, "cash")
    _has(administrator, "AP_ROLE", session.signer.address)
    epoch = administrator.open_epoch()
    receipt = administrator.request_subscription(session.signer, value)
    display.sent(
        session,
        f"subscribed {display.amount(value, 'HKD')} in epoch {epoch}",
        {"action": "subscribe", "epoch": epoch, "cash": display.amount(value)},
        [receipt],
    )


@_fund_command("redeem", "Escrow SHARES (whole creation units) for redemption at the next strike (AP_ROLE).")
@click.argument("shares")
def redeem_command(session: Session, token_ref: str, shares: str) -> None:
    token = fund_at(session, token_ref)
    administrator = token.administrator()
    value = _positive(shares, "shares")
    token.to_units(value, what="shares")
    unit = administrator.creation_unit
    if value % unit:
        raise SpecError(
            f"shares {shares} is not a positive whole number of creation units ({display.amount(unit)})",
            fix="redeem a multiple of the creation unit",
        )
    _has(administrator, "AP_ROLE", session.signer.address)
    epoch = administrator.open_epoch()
    receipt = administrator.request_redemption(session.signer, value)
    display.sent(
        session,
        f"requested redemption of {display.amount(value, token.symbol)} in epoch {epoch}",
        {"action": "redeem", "epoch": epoch, "shares": display.amount(value)},
        [receipt],
    )


@_fund_command("claim", "Claim the signer's struck subscription (shares) and redemption (cash) of EPOCH.")
@click.argument("epoch", type=click.IntRange(min=1))
def claim_command(session: Session, token_ref: str, epoch: int) -> None:
    token = fund_at(session, token_ref)
    administrator = token.administrator()
    _epoch(administrator, epoch)
    signer = session.signer.address
    fill = administrator.preview_subscription(epoch, signer)
    payment = administrator.preview_redemption(epoch, signer)
    receipts: list[TxReceipt] = []
    parts: list[str] = []
    if administrator.claimable_subscription(epoch, signer) > 0:
        receipts.append(administrator.claim_subscription(session.signer, epoch))
        parts.append(f"{display.amount(fill.shares, token.symbol)} (refund {display.amount(fill.refund, 'HKD')})")
    if administrator.claimable_redemption(epoch, signer) > 0:
        receipts.append(administrator.claim_redemption(session.signer, epoch))
        parts.append(f"{display.amount(payment.paid, 'HKD')} of redemption proceeds")
    if not receipts:
        raise SpecError(f"{signer} has nothing to claim in epoch {epoch}", fix="wait for the epoch's strike")
    display.sent(
        session,
        f"claimed {' and '.join(parts)} from epoch {epoch}",
        {"action": "claim", "epoch": epoch, "shares": display.amount(fill.shares),
         "refund": display.amount(fill.refund), "paid": display.amount(payment.paid)},
        receipts,
    )  # fmt: skip


@_fund_command(
    "settle",
    "Settle the struck claims of EPOCH for every AP that made a request in it (FUND_ADMIN_ROLE), in node-sized "
    "batches, journaled and resumable; an AP whose shares the token refuses is skipped (refundable).",
)
@click.argument("epoch", type=click.IntRange(min=1))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the run's journal (deployments/<chain>/runs/; default: the current folder).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="At most N APs a transaction.")
def settle_command(session: Session, token_ref: str, epoch: int, out: Path | None, batch_size: int | None) -> None:
    token = fund_at(session, token_ref)
    administrator = token.administrator()
    _epoch(administrator, epoch)
    with display.progress(f"settling epoch {epoch}: batches mined", total=1) as bar:
        result = settle_fund_claims(session.chain, session.signer, administrator, epoch, out=out or Path.cwd(),
                                    max_rows=batch_size, progress=display.blocks_read(bar))  # fmt: skip
    text = (
        f"settled the claims of {display.plural(result.settled, 'AP')} of {result.participants} in epoch {epoch} in "
        f"{display.plural(len(result.transactions), 'transaction')}"
    )
    if result.skipped:
        text += f" ({result.skipped} skipped: the token refuses their shares; refund them with refundSubscription)"
    if result.refused:
        ap, reason = result.refused[0]
        text += f"; {display.plural(len(result.refused), 'AP')} refused by the payment token, first {ap}: {reason}"
    receipts = [session.chain.w3.eth.get_transaction_receipt(HexStr(h)) for h in result.transactions]
    display.sent(
        session,
        text,
        {"action": "settle", "epoch": epoch, "participants": result.participants, "settled": result.settled,
         "skipped": result.skipped, "refused": [{"participant": a, "reason": r} for a, r in result.refused],
         "journal": str(result.journal), "gas_used": result.gas_used},
        receipts,
    )  # fmt: skip


@_fund_command("cancel", "Cancel the signer's subscription and redemption in EPOCH while it is open.")
@click.argument("epoch", type=click.IntRange(min=1))
def cancel_command(session: Session, token_ref: str, epoch: int) -> None:
    token = fund_at(session, token_ref)
    administrator = token.administrator()
    _epoch(administrator, epoch)
    signer = session.signer.address
    if epoch != administrator.open_epoch():
        raise SpecError(f"epoch {epoch} is closed", fix="only requests of the open epoch can be cancelled")
    cash = administrator.pending_subscription(epoch, signer)
    shares = administrator.pending_redemption(epoch, signer)
    receipts: list[TxReceipt] = []
    if cash > 0:
        receipts.append(administrator.cancel_subscription(session.signer, epoch))
    if shares > 0:
        receipts.append(administrator.cancel_redemption(session.signer, epoch))
    if not receipts:
        raise SpecError(f"{signer} has no request in epoch {epoch}", fix="nothing to cancel")
    display.sent(
        session,
        f"cancelled {display.amount(cash, 'HKD')} of subscription and {display.amount(shares, token.symbol)} of "
        f"redemption in epoch {epoch}",
        {"action": "cancel", "epoch": epoch, "cash": display.amount(cash), "shares": display.amount(shares)},
        receipts,
    )


def _moment(text: str) -> datetime:
    try:
        return parse_expiry(text).astimezone(UTC)
    except SpecError as exc:
        raise SpecError(f"--as-of {text!r} is not a date", fix="write it as YYYY-MM-DD or an ISO date-time") from exc


def _status_lines(token: RWAToken) -> list[tuple[str, str]]:
    administrator = FundToken(token.chain, token.address).administrator()
    pending = administrator.pending_nav()
    return [
        ("administrator", administrator.address),
        ("creation unit", display.amount(administrator.creation_unit, token.symbol)),
        ("NAV", f"{display.amount(administrator.last_nav(), 'HKD')} per share (last struck)"),
        ("pending NAV", "none" if pending is None else
         f"{display.amount(pending.nav_per_share, 'HKD')} for epoch {pending.epoch}"),
        ("open epoch", str(administrator.open_epoch())),
    ]  # fmt: skip


register_status_section(StatusSection("FundToken", is_fund, _status_lines))
