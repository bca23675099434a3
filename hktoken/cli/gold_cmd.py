"""``hktoken gold``: tokenized gold (``contracts/assets/gold``): the custodian's bar list, the auditor's
attestations, the reserve, and the redemption desk. Amounts are fine troy ounces (the token's 18 decimals enforced
before anything is sent); every refusal is one line and sends nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from eth_typing import ChecksumAddress

from hktoken.abi import role_id
from hktoken.bulk.onboard import parse_expiry
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import Kind, resolve, token_option
from hktoken.cli.status_cmd import StatusSection, register_status_section
from hktoken.contracts.gold import GoldCustodian, GoldToken
from hktoken.contracts.token import RWAToken
from hktoken.errors import SpecError
from hktoken.models.gold import Attestation, GoldBar


def gold_at(session: Session, ref: str) -> GoldToken:
    """The gold token ``ref`` names; one line when it is another kind of token."""
    address = resolve(session, ref, Kind.TOKEN)
    token = RWAToken.at(session.chain, address)
    if not is_gold(token):
        raise SpecError(
            f"--token {address} is not a GoldToken", fix="pass the address or manifest name of a gold token"
        )
    return GoldToken(session.chain, address)


def is_gold(token: RWAToken) -> bool:
    """Whether ``token`` is a GoldToken (it answers ``custodian()`` and that custodian names it)."""
    try:
        return GoldToken(token.chain, token.address).custodian.token_address == token.address
    except Exception:  # any failure: not gold
        return False


@click.group("gold")
def gold_group() -> None:
    """Tokenized gold: add-bar, remove-bar, bars, attest, reserve, request-redemption, fulfil, reject."""


def _gold_command(name: str, help: str, *, sends: bool = True) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(function: Callable[..., None]) -> click.Command:
        options = (pass_session, json_option, *((signer_options,) if sends else ()), node_options, token_option)
        for option in options:
            function = option(function)
        return gold_group.command(name, help=help)(function)

    return decorate


def _has(custodian: GoldCustodian, role: str, account: ChecksumAddress) -> None:
    if not custodian.raw.has_role(role_id(role), account):
        raise SpecError(f"{account} lacks {role}", fix="grant it with grantRole, or sign with an account that has it")


def _ounces(text: str, what: str = "amount") -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise SpecError(f"{what} {text!r} is not a positive number of ounces", fix="write it like 400 or 12.5")
    if value.scaleb(18) != value.scaleb(18).to_integral_value():
        raise SpecError(f"{what} {text} has more than 18 decimal places", fix="round it to at most 18 decimals")
    return value


@_gold_command(
    "add-bar", "List a bar entering custody (CUSTODIAN_ROLE): serial, refiner, gross weight, fineness, vault."
)
@click.argument("serial")
@click.option("--refiner", required=True)
@click.option("--gross-oz", required=True, help="Gross weight in troy ounces (at most 3 decimals).")
@click.option("--fineness", required=True, type=int, help="Parts of gold per 10,000, e.g. 9999.")
@click.option("--vault", required=True)
@click.option("--not-good-delivery", is_flag=True, help="A bar outside the LBMA Good Delivery ranges (a kilobar).")
def add_bar_command(
    session: Session, token_ref: str, serial: str, refiner: str, gross_oz: str, fineness: int, vault: str,
    not_good_delivery: bool,
) -> None:  # fmt: skip
    try:
        bar = GoldBar.model_validate(
            {"serial": serial, "refiner": refiner, "gross_oz": _ounces(gross_oz, "--gross-oz"), "fineness": fineness,
             "vault": vault, "good_delivery": not not_good_delivery}
        )  # fmt: skip
    except SpecError as exc:
        message = exc.message.replace("pass good_delivery=False", "pass --not-good-delivery")
        raise SpecError(message, fix="correct the bar's options") from exc
    custodian = gold_at(session, token_ref).custodian
    _has(custodian, "CUSTODIAN_ROLE", session.signer.address)
    if custodian.bar(serial) is not None:
        raise SpecError(f"bar {serial} is already in custody", fix="list each bar once")
    receipt = custodian.add_bars(session.signer, [bar])
    reserve = display.amount(custodian.reserve_oz())
    display.sent(
        session,
        f"listed bar {serial} ({display.amount(bar.fine_oz)} fine oz); reserve {reserve} oz",
        {"action": "add-bar", "serial": serial, "fine_oz": display.amount(bar.fine_oz)},
        [receipt],
    )


@_gold_command(
    "remove-bar", "Take bars out of custody (CUSTODIAN_ROLE); refused if the reserve would fall below supply."
)
@click.argument("serials", nargs=-1, required=True)
def remove_bar_command(session: Session, token_ref: str, serials: tuple[str, ...]) -> None:
    token = gold_at(session, token_ref)
    custodian = token.custodian
    _has(custodian, "CUSTODIAN_ROLE", session.signer.address)
    bars = []
    for serial in serials:
        bar = custodian.bar(serial)
        if bar is None:
            raise SpecError(f"bar {serial} is not in custody", fix="`hktoken gold bars` lists the bars")
        bars.append(bar)
    left = custodian.reserve_oz() - sum((b.fine_oz for b in bars), Decimal(0))
    supply = token.total_supply()
    if left < supply:
        raise SpecError(
            f"removing {display.plural(len(bars), 'bar')} would leave {display.amount(left)} oz for a supply of "
            f"{display.amount(supply)} oz",
            fix="redeem or burn tokens first, or list other bars",
        )
    receipt = custodian.remove_bars(session.signer, list(serials))
    display.sent(
        session,
        f"removed {display.plural(len(bars), 'bar')}; reserve {display.amount(left)} oz",
        {"action": "remove-bar", "serials": list(serials), "reserve_oz": display.amount(left)},
        [receipt],
    )


@_gold_command("bars", "The bars in custody.", sends=False)
def bars_command(session: Session, token_ref: str) -> None:
    bars = gold_at(session, token_ref).custodian.bars()
    rows = [[b.serial, b.refiner, display.amount(b.gross_oz), str(b.fineness), display.amount(b.fine_oz), b.vault]
            for b in bars]  # fmt: skip
    data = [{**b.model_dump(mode="json"), "fine_oz": display.amount(b.fine_oz)} for b in bars]
    session.emit(
        display.table(["serial", "refiner", "gross oz", "fineness", "fine oz", "vault"], rows,
                      right=["gross oz", "fineness", "fine oz"]),
        {"bars": data},
    )  # fmt: skip


@_gold_command("attest", "Publish an attestation of the reserve (AUDITOR_ROLE): the report's SHA-256, its URI, ounces.")
@click.option("--report", "report", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The report file (its SHA-256 is recorded).")  # fmt: skip
@click.option("--uri", required=True, help="Where the report can be read.")
@click.option("--ounces", required=True, help="Fine troy ounces attested.")
@click.option("--as-of", "as_of", default=None, help="The time the report speaks for (default: the latest block's).")
def attest_command(session: Session, token_ref: str, report: Path, uri: str, ounces: str, as_of: str | None) -> None:
    try:
        digest = hashlib.sha256(report.read_bytes()).digest()
    except OSError as exc:
        raise SpecError(f"cannot read report {report} ({exc.strerror or exc})", fix="check the path") from exc
    value = _ounces(ounces, "--ounces")
    custodian = gold_at(session, token_ref).custodian
    _has(custodian, "AUDITOR_ROLE", session.signer.address)
    moment = _moment(as_of) if as_of else datetime.fromtimestamp(session.chain.timestamp(), tz=UTC)
    attestation = Attestation(report_hash=digest, uri=uri, ounces=value, as_of=moment)
    receipt = custodian.attest(session.signer, attestation)
    display.sent(
        session,
        f"attested {display.amount(value)} oz as of {display.when(moment)} (sha256 {digest.hex()[:16]}…)",
        {"action": "attest", "ounces": display.amount(value), "as_of": moment.isoformat(), "sha256": digest.hex()},
        [receipt],
    )


def _moment(text: str) -> datetime:
    try:
        return parse_expiry(text).astimezone(UTC)
    except SpecError as exc:
        raise SpecError(f"--as-of {text!r} is not a date", fix="write it as YYYY-MM-DD or an ISO date-time") from exc


def _reserve_pairs(token: GoldToken) -> list[tuple[str, str]]:
    custodian = token.custodian
    ratio = custodian.reserve_ratio()
    latest = custodian.latest_attestation()
    attested = "never" if latest is None else f"{display.amount(latest.ounces)} oz as of {display.when(latest.as_of)}"
    return [
        ("custodian", custodian.address),
        ("bars", str(custodian.bar_count())),
        ("reserve", f"{display.amount(custodian.reserve_oz())} oz"),
        ("supply", f"{display.amount(token.total_supply())} oz"),
        ("reserve ratio", "n/a (nothing minted)" if ratio is None else f"{ratio:.4f}"),
        ("escrowed", f"{display.amount(custodian.escrowed_oz())} oz"),
        ("attested", attested),
    ]  # fmt: skip


@_gold_command("reserve", "The reserve: bars, fine ounces, supply, ratio, escrow, the latest attestation.", sends=False)
def reserve_command(session: Session, token_ref: str) -> None:
    pairs = _reserve_pairs(gold_at(session, token_ref))
    session.emit(display.fields(pairs), dict(pairs))


@_gold_command("request-redemption", "Ask for physical gold: AMOUNT ounces go into the custodian's escrow.")
@click.argument("amount")
def request_command(session: Session, token_ref: str, amount: str) -> None:
    value = _ounces(amount)
    token = gold_at(session, token_ref)
    custodian = token.custodian
    holder = session.signer.address
    balance = token.balance_of(holder)
    if value > balance:
        raise SpecError(
            f"amount {amount} is more than {holder} holds ({display.amount(balance)} oz)",
            fix="request at most the holder's balance",
        )
    receipt = custodian.request_redemption(session.signer, value)
    request_id = custodian.redemption_id(receipt)
    display.sent(
        session,
        f"redemption request {request_id}: {display.amount(value)} oz in escrow",
        {"action": "request-redemption", "id": request_id, "amount": display.amount(value)},
        [receipt],
    )


@_gold_command("fulfil", "Release the named bars for request ID and burn its escrow (CUSTODIAN_ROLE).")
@click.argument("request_id", type=click.IntRange(min=1))
@click.argument("serials", nargs=-1, required=True)
def fulfil_command(session: Session, token_ref: str, request_id: int, serials: tuple[str, ...]) -> None:
    custodian = gold_at(session, token_ref).custodian
    _has(custodian, "CUSTODIAN_ROLE", session.signer.address)
    _pending(custodian, request_id)
    receipt = custodian.fulfil(session.signer, request_id, list(serials))
    display.sent(
        session,
        f"fulfilled request {request_id} with {display.plural(len(serials), 'bar')}",
        {"action": "fulfil", "id": request_id, "serials": list(serials)},
        [receipt],
    )


@_gold_command("reject", "Refuse request ID with a short REASON code (CUSTODIAN_ROLE): the tokens go back.")
@click.argument("request_id", type=click.IntRange(min=1))
@click.argument("reason")
def reject_command(session: Session, token_ref: str, request_id: int, reason: str) -> None:
    custodian = gold_at(session, token_ref).custodian
    _has(custodian, "CUSTODIAN_ROLE", session.signer.address)
    _pending(custodian, request_id)
    receipt = custodian.reject(session.signer, request_id, reason)
    display.sent(
        session,
        f"rejected request {request_id} ({reason})",
        {"action": "reject", "id": request_id, "reason": reason},
        [receipt],
    )


def _pending(custodian: GoldCustodian, request_id: int) -> None:
    request = custodian.redemption(request_id)
    if request.status.name != "PENDING":
        raise SpecError(
            f"redemption request {request_id} is {request.status.name.lower()}, not pending",
            fix="pass the id of a pending request",
        )


register_status_section(
    StatusSection("GoldToken", is_gold, lambda token: _reserve_pairs(GoldToken(token.chain, token.address)))
)
