"""The Python model the stateful machines check the chain against: what the compliance core promises, written
from its specification (docs/compliance.md, the restriction codes), not from its code.

Amounts are base units (ints). ``Refusal`` is what a refused step must raise; ``None`` means the step is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hktoken.models.restrictions import Restriction as R


@dataclass(frozen=True)
class Refusal:
    """The typed error a refused step must raise: a restriction ``code`` (TransferRestricted) with the custom error's
    arguments, or a plain custom error ``error`` with its arguments."""

    error: str
    args: dict[str, Any]
    code: int | None = None


@dataclass
class Holder:
    investor_id: str
    wallets: list[str]
    registered: bool = False
    revoked: bool = False
    expiry: int = 0


@dataclass
class TokenModel:
    """Expected state of one registry + token; ``now`` is the chain's latest block time."""

    treasury: str
    investors: dict[str, Holder]
    balances: dict[str, int] = field(default_factory=dict)
    frozen: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, bool] = field(default_factory=dict)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)
    paused: bool = False
    supply: int = 0

    # ----------------------------------------------------------------------------------------- views

    def investor_of(self, wallet: str) -> Holder | None:
        for holder in self.investors.values():
            if holder.registered and wallet in holder.wallets:
                return holder
        return None

    def bal(self, wallet: str) -> int:
        return self.balances.get(wallet, 0)

    def unfrozen(self, wallet: str) -> int:
        return max(self.bal(wallet) - self.frozen.get(wallet, 0), 0)

    def holder_count(self) -> int:
        return sum(1 for h in self.investors.values() if h.registered and any(self.bal(w) for w in h.wallets))

    def verification(self, wallet: str, now: int, not_verified: int, expired: int) -> int:
        holder = self.investor_of(wallet)
        if holder is None or holder.revoked:
            return not_verified
        return 0 if holder.expiry > now else expired

    def receive_code(self, wallet: str, now: int) -> int:
        """ERC-7943 canReceive as a code (forced transfers, recovery)."""
        if self.flagged.get(wallet):
            return R.RECIPIENT_FROZEN
        if wallet == self.treasury:
            return 0
        return self.verification(wallet, now, R.RECIPIENT_NOT_VERIFIED, R.RECIPIENT_KYC_EXPIRED)

    # ----------------------------------------------------------------------------------------- predictions

    def transfer(self, sender: str, to: str, value: int, now: int) -> Refusal | None:
        if self.paused:
            return self._restricted(R.PAUSED, sender, to, value)
        if to != self.treasury:
            if sender != self.treasury:
                code = self.verification(sender, now, R.SENDER_NOT_VERIFIED, R.SENDER_KYC_EXPIRED)
                if code:
                    return self._restricted(code, sender, to, value)
            code = self.verification(to, now, R.RECIPIENT_NOT_VERIFIED, R.RECIPIENT_KYC_EXPIRED)
            if code:
                return self._restricted(code, sender, to, value)
        if self.flagged.get(sender):
            return self._restricted(R.SENDER_FROZEN, sender, to, value)
        if self.flagged.get(to):
            return self._restricted(R.RECIPIENT_FROZEN, sender, to, value)
        balance = self.bal(sender)
        if value <= balance and value > self.unfrozen(sender):
            return Refusal(
                "ERC7943InsufficientUnfrozenBalance",
                {"account": sender, "amount": value, "unfrozen": self.unfrozen(sender)},
                R.INSUFFICIENT_UNFROZEN_BALANCE,
            )
        if balance < value:
            return Refusal("ERC20InsufficientBalance", {"sender": sender, "balance": balance, "needed": value})
        return None

    def transfer_from(self, spender: str, owner: str, to: str, value: int, now: int) -> Refusal | None:
        if self.flagged.get(spender):
            return self._restricted(R.SPENDER_FROZEN, owner, to, value)
        allowance = self.allowances.get((owner, spender), 0)
        if allowance < value:
            return Refusal("ERC20InsufficientAllowance", {"spender": spender, "allowance": allowance, "needed": value})
        return self.transfer(owner, to, value, now)

    def mint(self, to: str, value: int, now: int) -> Refusal | None:
        if self.paused:
            return self._restricted(R.PAUSED, ZERO, to, value)
        if to != self.treasury:
            code = self.verification(to, now, R.RECIPIENT_NOT_VERIFIED, R.RECIPIENT_KYC_EXPIRED)
            if code:
                return self._restricted(code, ZERO, to, value)
        if self.flagged.get(to):
            return self._restricted(R.RECIPIENT_FROZEN, ZERO, to, value)
        return None

    def burn(self, account: str, value: int) -> Refusal | None:
        balance = self.bal(account)
        if balance < value:
            return Refusal("ERC20InsufficientBalance", {"sender": account, "balance": balance, "needed": value})
        return None

    def forced_transfer(self, sender: str, to: str, value: int, now: int) -> Refusal | None:
        if sender == to:
            return Refusal("ForcedTransferToSameAccount", {"account": sender})
        code = self.receive_code(to, now)
        if code:
            return self._restricted(code, sender, to, value)
        return self.burn(sender, value)

    def freeze_partial(self, wallet: str, value: int) -> Refusal | None:
        balance, before = self.bal(wallet), self.frozen.get(wallet, 0)
        if before > balance or value > balance - before:
            return Refusal(
                "FreezeExceedsBalance", {"account": wallet, "balance": balance, "frozenAfter": before + value}
            )
        return None

    def unfreeze_partial(self, wallet: str, value: int) -> Refusal | None:
        before = self.frozen.get(wallet, 0)
        if value > before:
            return Refusal("UnfreezeExceedsFrozen", {"account": wallet, "frozen": before, "amount": value})
        return None

    def recover(self, lost: str, new: str, investor_id: str, now: int) -> Refusal | None:
        if lost == new:
            return Refusal("RecoveryToSameWallet", {"wallet": lost})
        a, b = self.investor_of(lost), self.investor_of(new)
        if a is None or a is not b or a.investor_id != investor_id:
            return Refusal(
                "RecoveryInvestorMismatch",
                {"lostWallet": lost, "newWallet": new, "investorId": investor_id.encode().ljust(32, b"\0")},
            )
        code = self.receive_code(new, now)
        if code:
            return self._restricted(code, lost, new, self.bal(lost))
        return None

    # ----------------------------------------------------------------------------------------- effects

    def move(self, sender: str, to: str, value: int, *, seize: bool = False) -> None:
        if seize:
            released = value - self.unfrozen(sender) if self.frozen.get(sender) and value <= self.bal(sender) else 0
            if released > 0:
                self.frozen[sender] -= released
        if sender == ZERO:
            self.supply += value
        else:
            self.balances[sender] = self.bal(sender) - value
        if to == ZERO:
            self.supply -= value
        else:
            self.balances[to] = self.bal(to) + value

    def spend_allowance(self, owner: str, spender: str, value: int) -> None:
        current = self.allowances.get((owner, spender), 0)
        if current != MAX_UINT:
            self.allowances[(owner, spender)] = current - value

    def recovered(self, lost: str, new: str) -> None:
        moved = self.frozen.get(lost, 0)
        if moved:
            self.frozen[new] = min(self.frozen.get(new, 0) + moved, MAX_UINT)
            self.frozen[lost] = 0
        if self.flagged.get(lost):
            self.flagged[lost] = False
            self.flagged[new] = True
        self.move(lost, new, self.bal(lost))

    @staticmethod
    def _restricted(code: int, sender: str, to: str, value: int) -> Refusal:
        return Refusal("TransferRestricted", {"from": sender, "to": to, "amount": value, "code": code}, code)


ZERO = "0x0000000000000000000000000000000000000000"
MAX_UINT = 2**256 - 1
