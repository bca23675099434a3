"""Paying a bond's coupons to every holder: ``payCoupons`` in node-sized batches, journaled and resumable.

The holders are every wallet that ever held the bond (its ``Transfer`` events since deployment: a wallet that sold
after a record date is still owed that coupon). Who is owed what is read in JSON-RPC batches (``claimable``);
only holders owed something are pushed to. The paying agent itself never pays a coupon twice (each holder's
accrual index moves on when paid), and a rerun of a stopped push settles its journal first, then pays only who is
still owed. A frozen holder is owed nothing until unfrozen (``claimable`` is zero), so is left out. A holder the
stablecoin refuses (blocked) is skipped by the agent with ``CouponPaymentSkipped`` and reported with the refusal
(``PushResult.skipped``). Only a paying agent deployed before it paid each holder in its own call lets such a
holder revert its whole batch; that batch is then split by simulation down to the refused holders, who are left
out and reported (``PushResult.refused``), and the rest is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from hktoken.abi import Calldata
from hktoken.bulk.journal import JournaledRun, SendHook, input_digest
from hktoken.chain.bulk import BulkCall, BulkSender, Progress
from hktoken.contracts.bulk import claimable_of, push_calls
from hktoken.errors import MissingRole
from hktoken.models.common import to_address
from hktoken.reports.captable import TRANSFER_TOPIC, deployment_block
from hktoken.reports.logs import fetch_logs

SKIPPED_TOPIC = "0x" + keccak(text="CouponPaymentSkipped(address,bytes)").hex()

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain
    from hktoken.contracts.bond import BondToken


def bond_holders(bond: BondToken) -> list[str]:
    """Every wallet that ever held ``bond`` (received it in a Transfer event), in first-seen order."""
    chain = bond.chain
    latest = chain.w3.eth.block_number
    logs = fetch_logs(chain, [bond.address], deployment_block(chain, bond.address, latest), latest,
                      topics=[TRANSFER_TOPIC], raw=True)  # fmt: skip
    seen: dict[str, None] = {}
    for log in logs:
        seen.setdefault("0x" + str(log["topics"][2])[-40:], None)  # the recipient; a burn's is the zero address
    return [to_checksum_address(w) for w in seen if int(w, 16) != 0]


@dataclass
class PushResult:
    """What one push run did."""

    journal: Path
    holders: int
    """Wallets considered."""
    pushed: int
    """Holders owed something and sent a payment (this invocation), the skipped and refused ones included."""
    owed_units: int
    """What the holders paid in this invocation were owed, in payment-token base units (skipped and refused ones
    excluded)."""
    skipped: list[tuple[str, str]]
    """Holders the paying agent skipped in this invocation (``CouponPaymentSkipped``: the bond or the payment token
    refused them, frozen or blocked, say), with the refusal; they stay owed."""
    transactions: list[str]
    gas_used: int
    resent: int
    refused: list[tuple[str, str]]
    """Holders whose payment reverted the whole ``payCoupons`` batch, with the refusal: found by splitting the
    reverted batch, left out, still owed; the others were paid. Only an agent compiled before ``payHolder`` (each
    holder's payment in its own call) lets the payment token revert a batch."""

    @property
    def unpaid(self) -> int:
        """How many holders are still owed after this invocation: skipped or refused."""
        return len(self.skipped) + len(self.refused)


def _reason(chain: Chain, data: str) -> str:
    """The refusal a ``CouponPaymentSkipped`` log carries (its ``bytes reason``), as hktoken words it."""
    raw = bytes.fromhex(data.removeprefix("0x"))
    length = int.from_bytes(raw[32:64], "big")
    return chain.decoder.decode(raw[64 : 64 + length]).message


def push_coupons(
    chain: Chain,
    signer: LocalAccount,
    bond: BondToken,
    holders: list[str] | None = None,
    *,
    out: Path,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
    progress: Progress | None = None,
    on_signed: SendHook | None = None,
    sender: BulkSender | None = None,
) -> PushResult:
    """Pay every coupon funded so far to ``holders`` (default: every wallet that ever held the bond)."""
    agent = bond.paying_agent
    if not agent.has_role("PAYER_ROLE", signer.address):
        raise MissingRole(signer.address, "PAYER_ROLE")
    if holders is None:
        wallets = bond_holders(bond)
    else:  # each wallet once: a repeat would be paid the first time and skipped (NothingToClaim) the second
        wallets = list(dict.fromkeys(str(to_address(h, what="holder")) for h in holders))
    funded = agent.funded_coupons()
    digest = input_digest((agent.address, funded, wallets))
    run = JournaledRun.open(chain, signer, kind=f"push-{funded}", out=out, digest=digest,
                            target={"bond": bond.address, "agent": agent.address}, sender=sender,
                            on_signed=on_signed)  # fmt: skip
    run.settle(progress)
    owed = claimable_of(chain, agent, wallets)
    todo = [i for i, amount in enumerate(owed) if amount > 0]
    encode = Calldata(agent.artifact.abi, "payCoupons")

    def plan(rows: Sequence[int]) -> list[BulkCall]:
        return push_calls(chain, signer, agent, [wallets[i] for i in rows], tx_gas_cap=tx_gas_cap, max_rows=max_rows)

    sent, refused = run.send_skipping_refused(
        "push", todo, plan, agent.address, lambda rows: encode([wallets[i] for i in rows]), progress
    )
    skipped = [(str(to_checksum_address("0x" + str(log["topics"][1])[-40:])), _reason(chain, str(log["data"])))
               for log in run.logs(SKIPPED_TOPIC)]  # fmt: skip
    unpaid = {wallet for wallet, _ in skipped} | {wallets[row] for row, _ in refused}
    return PushResult(
        journal=run.journal.path,
        holders=len(wallets),
        pushed=len(todo),
        owed_units=sum(owed[i] for i in todo if wallets[i] not in unpaid),
        skipped=skipped,
        refused=[(wallets[row], reason) for row, reason in refused],
        transactions=[tx.tx_hash for tx in sent],
        gas_used=run.gas_used,
        resent=run.resent,
    )


__all__ = ["PushResult", "bond_holders", "push_coupons"]
