"""Bulk runs at scale: journaled, resumable onboarding (registration, wallets, issuance) and coupon pushes.

Built on the pipelined sender (:mod:`hktoken.chain.bulk`), batch sizing from node limits (:mod:`hktoken.chain.limits`)
and the batch planners (:mod:`hktoken.contracts.bulk`). See docs/scale.md.
"""

from hktoken.bulk.journal import BulkJournal, JournaledRun, run_path
from hktoken.bulk.onboard import (
    ImportRejected,
    OnboardingResult,
    OnboardingRow,
    RowProblem,
    onboard,
    plan_onboarding,
    read_onboarding_csv,
)

__all__ = [
    "BulkJournal",
    "ImportRejected",
    "JournaledRun",
    "OnboardingResult",
    "OnboardingRow",
    "RowProblem",
    "onboard",
    "plan_onboarding",
    "read_onboarding_csv",
    "run_path",
]
