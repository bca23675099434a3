"""``hktoken settle``: delivery versus payment through the ``DvPSettlement`` contract. ``sign`` writes a trade and
the signer's EIP-712 signature to a JSON file (or adds the counterparty's signature to one); ``submit`` settles a
file that carries both, after the contract's own checks are read (nothing is sent when one fails)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from hktoken.bulk.onboard import parse_expiry
from hktoken.cli import display
from hktoken.cli.options import Session, json_option, node_options, pass_session, signer_options
from hktoken.cli.refs import METAVAR, Kind, check_ref, resolve
from hktoken.contracts.dvp import DvPSettlement
from hktoken.contracts.token import RWAToken
from hktoken.errors import SpecError
from hktoken.models.common import to_address
from hktoken.models.dvp import Trade
from hktoken.units import format_units

FORMAT = "hktoken-dvp-trade/1"


@click.group("settle")
def settle_group() -> None:
    """Delivery versus payment: sign a trade to a file, submit a signed pair."""


def _ref(kind: Kind) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            check_ref(value, kind)
        return value

    return callback


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise SpecError(f"cannot read trade file {path} ({exc.strerror or exc})", fix="check the path") from exc
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"trade file {path} is not JSON ({exc.msg})", fix="pass a file `hktoken settle sign` wrote"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SpecError(f"trade file {path} is not a {FORMAT} file", fix="pass a file `hktoken settle sign` wrote")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def _dvp(session: Session, data: dict[str, Any]) -> DvPSettlement:
    if data.get("chain_id") != session.chain.chain_id:
        raise SpecError(
            f"the trade is for chain {data.get('chain_id')}, and the node is on chain {session.chain.chain_id}",
            fix="use the node the trade was signed for",
        )
    return DvPSettlement.at(session.chain, str(data["dvp"]))


def _summary(trade: Trade, asset: str, payment: str) -> str:
    return (f"{format_units(trade.asset_amount)} {asset} from {trade.seller} to {trade.buyer} for "
            f"{format_units(trade.payment_amount)} {payment}")  # fmt: skip


def _symbols(session: Session, trade: Trade) -> tuple[str, str]:
    return RWAToken.at(session.chain, trade.asset).symbol, _symbol(session, trade.payment)


def _symbol(session: Session, address: str) -> str:
    abi = [{"type": "function", "name": "symbol", "stateMutability": "view", "inputs": [],
            "outputs": [{"name": "", "type": "string"}]}]  # fmt: skip
    return str(session.chain.w3.eth.contract(address=to_address(address), abi=abi).functions.symbol().call())


@settle_group.command(
    "sign",
    help="Sign a DvP trade with the signer's key (the seller or the buyer) and write it to FILE. With the trade's "
    "terms (--dvp, --seller, --buyer, --asset, --amount, --payment, --price, --expiry) a new trade is written; "
    "without them FILE must hold the counterparty's signed trade, and the signer's signature is added.",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dvp", "dvp_ref", metavar=METAVAR, callback=_ref(Kind.DVP), help="The DvPSettlement contract.")
@click.option("--seller", default=None)
@click.option("--buyer", default=None)
@click.option("--asset", "asset_ref", metavar=METAVAR, callback=_ref(Kind.TOKEN), help="The security token.")
@click.option("--amount", default=None, help="Asset delivered, in its units.")
@click.option("--payment", "payment_ref", metavar=METAVAR, callback=_ref(Kind.TOKEN), help="The payment token.")
@click.option("--price", default=None, help="Paid by the buyer, in the payment token's units.")
@click.option("--expiry", default=None, help="The last moment the trade can settle (YYYY-MM-DD or ISO date-time).")
@click.option("--submitter", default=None, help="The only account allowed to submit (default: anyone).")
@pass_session
@json_option
@signer_options
@node_options
def sign_command(
    session: Session, file: Path, dvp_ref: str | None, seller: str | None, buyer: str | None, asset_ref: str | None,
    amount: str | None, payment_ref: str | None, price: str | None, expiry: str | None, submitter: str | None,
) -> None:  # fmt: skip
    terms = {"--dvp": dvp_ref, "--seller": seller, "--buyer": buyer, "--asset": asset_ref, "--amount": amount,
             "--payment": payment_ref, "--price": price, "--expiry": expiry}  # fmt: skip
    given = [name for name, value in terms.items() if value is not None]
    if given and len(given) != len(terms):
        missing = ", ".join(name for name, value in terms.items() if value is None)
        raise SpecError(f"a new trade needs {missing} too", fix="give every term, or none to countersign FILE")
    if given:
        assert dvp_ref and seller and buyer and asset_ref and amount and payment_ref and price and expiry
        moment = _expiry(expiry)
        dvp = DvPSettlement.at(session.chain, resolve(session, dvp_ref, Kind.DVP))
        asset = RWAToken.at(session.chain, resolve(session, asset_ref, Kind.TOKEN))
        payment = resolve(session, payment_ref, Kind.TOKEN)
        trade = dvp.trade(
            seller=seller, buyer=buyer, asset=asset, asset_amount=amount, payment=payment, payment_amount=price,
            expiry=moment, submitter=to_address(submitter, what="submitter") if submitter else ZERO,
        )  # fmt: skip
        data: dict[str, Any] = {"format": FORMAT, "chain_id": session.chain.chain_id, "dvp": dvp.address,
                                "trade": trade.model_dump(mode="json"), "signatures": {}}  # fmt: skip
    else:
        data = _read(file)
        dvp = _dvp(session, data)
        trade = Trade.model_validate(data["trade"])
    party = trade.party(session.signer)
    data["signatures"][party] = "0x" + dvp.sign(trade, session.signer).hex()
    _write(file, data)
    asset_symbol, payment_symbol = _symbols(session, trade)
    waiting = "buyer" if party == "seller" else "seller"
    status = "both parties signed" if len(data["signatures"]) == 2 else f"waiting for the {waiting}"
    session.emit(
        f"signed as the {party}: {_summary(trade, asset_symbol, payment_symbol)} -> {file} ({status})",
        {"file": str(file), "party": party, "signatures": sorted(data["signatures"]), "trade": data["trade"]},
    )


ZERO = "0x0000000000000000000000000000000000000000"


def _expiry(text: str) -> datetime:
    try:
        return parse_expiry(text).astimezone(UTC)
    except SpecError as exc:
        raise SpecError(f"--expiry {text!r} is not a date", fix="write it as YYYY-MM-DD or an ISO date-time") from exc


@settle_group.command(
    "submit", help="Settle the signed pair in FILE: both legs or neither (nothing sent on a refusal)."
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_session
@json_option
@signer_options
@node_options
def submit_command(session: Session, file: Path) -> None:
    data = _read(file)
    missing = [p for p in ("seller", "buyer") if p not in data.get("signatures", {})]
    if missing:
        raise SpecError(f"trade file {file} lacks the {' and '.join(missing)}'s signature",
                        fix="have that party run `hktoken settle sign FILE`")  # fmt: skip
    dvp = _dvp(session, data)
    trade = Trade.model_validate(data["trade"])
    signatures = {p: bytes.fromhex(str(s).removeprefix("0x")) for p, s in data["signatures"].items()}
    receipt = dvp.settle(session.signer, trade, signatures["seller"], signatures["buyer"])
    asset_symbol, payment_symbol = _symbols(session, trade)
    display.sent(
        session,
        f"settled {_summary(trade, asset_symbol, payment_symbol)}",
        {"action": "settle", "file": str(file), "trade": data["trade"]},
        [receipt],
    )
