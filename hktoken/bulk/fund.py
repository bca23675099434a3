"""Settling a fund epoch's claims for every participant: ``settleClaims`` in node-sized batches, journaled and
resumable.

The participants are every AP that asked for a subscription or a redemption in the epoch (its
``SubscriptionRequested`` / ``RedemptionRequested`` events). What each still has to claim is read in JSON-RPC
batches (``claimableSubscriptionRequest``, ``claimableRedemptionRequest``); only those are settled. The contract
closes each request as it pays it, so nothing is ever settled twice, and a rerun of a stopped run settles its
journal first, then only what is still open. An AP whose shares the token refuses to mint is skipped
(``ClaimSkipped``, counted in ``FundSettleResult.skipped``); its cash stays refundable (``refund_subscription``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils.crypto import keccak

from hktoken.abi import Calldata
from hktoken.bulk.journal import JournaledRun, SendHook, input_digest
from hktoken.chain.bulk import BulkCall, BulkSender, Progress
from hktoken.contracts.bulk import batch_calls, read_many
from hktoken.errors import MissingRole, SpecError
from hktoken.reports.captable import deployment_block
from hktoken.reports.logs import fetch_logs

if TYPE_CHECKING:
    from hktoken.chain.connection import Chain
    from hktoken.contracts.fund import FundAdministrator

REQUEST_TOPICS = [
    HexStr("0x" + keccak(text="SubscriptionRequested(address,uint256,uint256)").hex()),
    HexStr("0x" + keccak(text="RedemptionRequested(address,uint256,uint256)").hex()),
]
SKIPPED_TOPIC = "0x" + keccak(text="ClaimSkipped(address,uint256,uint8)").hex()


def epoch_participants(admin: FundAdministrator, epoch: int) -> list[str]:
    """Every AP that asked for a subscription or a redemption in ``epoch``, in first-request order."""
    chain = admin.chain
    latest = chain.w3.eth.block_number
    logs = fetch_logs(chain, [admin.address], deployment_block(chain, admin.address, latest), latest,
                      topics=[REQUEST_TOPICS, None, HexStr(f"0x{epoch:064x}")])  # type: ignore[list-item]  # fmt: skip
    seen: dict[str, None] = {}
    for log in logs:
        seen.setdefault(chain.w3.to_checksum_address(bytes(log["topics"][1])[-20:]), None)
    return list(seen)


def open_claims(chain: Chain, admin: FundAdministrator, epoch: int, participants: list[str]) -> list[bool]:
    """Whether each participant still has a struck subscription or redemption to claim in ``epoch`` (batched)."""
    cash = Calldata(admin.artifact.abi, "claimableSubscriptionRequest")
    shares = Calldata(admin.artifact.abi, "claimableRedemptionRequest")
    raws = read_many(
        chain, admin.address, [cash(epoch, p) for p in participants] + [shares(epoch, p) for p in participants]
    )
    n = len(participants)  # fmt: skip
    return [any(raws[i]) or any(raws[n + i]) for i in range(n)]


@dataclass
class FundSettleResult:
    """What one settle run did."""

    journal: Path
    participants: int
    """APs considered."""
    settled: int
    """APs with an open claim, sent to ``settleClaims`` in this invocation."""
    skipped: int
    """APs ``settleClaims`` skipped in this run because the token refuses their shares (``ClaimSkipped`` with a
    non-zero code); their subscriptions stay refundable."""
    refused: list[tuple[str, str]]
    """APs whose settlement reverted the whole batch (the payment token refuses them), with the refusal: found by
    splitting the batch, left out, still open; the others were settled."""
    transactions: list[str]
    gas_used: int
    resent: int


def settle_fund_claims(
    chain: Chain,
    signer: LocalAccount,
    admin: FundAdministrator,
    epoch: int,
    participants: list[str] | None = None,
    *,
    out: Path,
    tx_gas_cap: int | None = None,
    max_rows: int | None = None,
    progress: Progress | None = None,
    on_signed: SendHook | None = None,
    sender: BulkSender | None = None,
) -> FundSettleResult:
    """Settle every open claim of struck ``epoch`` (default: of every AP that made a request in it)."""
    if not admin.has_role("FUND_ADMIN_ROLE", signer.address):
        raise MissingRole(signer.address, "FUND_ADMIN_ROLE")
    if epoch < 1 or epoch > admin.open_epoch() or admin.raw.epoch_of(epoch)[4] == 0:
        raise SpecError(f"epoch {epoch} is not struck", fix="strike it first (`hktoken fund strike`)")
    aps = participants if participants is not None else epoch_participants(admin, epoch)
    digest = input_digest((admin.address, epoch, aps))
    run = JournaledRun.open(chain, signer, kind=f"fund-claims-{epoch}", out=out, digest=digest,
                            target={"administrator": admin.address}, sender=sender, on_signed=on_signed)  # fmt: skip
    run.settle(progress)
    todo = [i for i, open_ in enumerate(open_claims(chain, admin, epoch, aps)) if open_] if aps else []
    encode = Calldata(admin.artifact.abi, "settleClaims")

    def plan(rows: Sequence[int]) -> list[BulkCall]:
        wallets = [aps[i] for i in rows]
        return batch_calls(chain, signer, admin.address, lambda start, n: encode(epoch, wallets[start : start + n]),
                           len(wallets), tx_gas_cap=tx_gas_cap, max_rows=max_rows, exact=True)  # fmt: skip

    sent, refused = run.send_skipping_refused(
        "settle", todo, plan, admin.address, lambda rows: encode(epoch, [aps[i] for i in rows]), progress
    )
    return FundSettleResult(
        journal=run.journal.path,
        participants=len(aps),
        settled=len(todo),
        skipped=sum(1 for log in run.logs(SKIPPED_TOPIC) if int(str(log["data"])[-2:], 16)),
        refused=[(aps[row], reason) for row, reason in refused],
        transactions=[tx.tx_hash for tx in sent],
        gas_used=run.gas_used,
        resent=run.resent,
    )


__all__ = ["FundSettleResult", "epoch_participants", "open_claims", "settle_fund_claims"]
