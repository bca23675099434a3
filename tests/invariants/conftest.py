"""The hypothesis budget of the stateful machines (marker ``invariants``).

CI runs a fixed, derandomised budget; ``HKTOKEN_INVARIANT_EXAMPLES`` (and ``HKTOKEN_INVARIANT_STEPS``) run a deeper,
randomised campaign locally, e.g. ``HKTOKEN_INVARIANT_EXAMPLES=200 pytest tests/invariants``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

from hypothesis import HealthCheck, Phase, settings

CI_EXAMPLES = 20
CI_STEPS = 25


def budget(ci_examples: int = CI_EXAMPLES, ci_steps: int = CI_STEPS) -> settings:
    """Derandomised CI budget (``ci_examples`` sequences of ``ci_steps`` steps), or the deeper one named by the
    environment (then randomised)."""
    examples = os.environ.get("HKTOKEN_INVARIANT_EXAMPLES")
    steps = int(os.environ.get("HKTOKEN_INVARIANT_STEPS", ci_steps))
    return settings(
        derandomize=examples is None,
        max_examples=int(examples) if examples else ci_examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        print_blob=True,
        # HKTOKEN_INVARIANT_NO_SHRINK=1 reports the first failing sequence as found (shrinking takes minutes here).
        phases=[p for p in Phase if not (os.environ.get("HKTOKEN_INVARIANT_NO_SHRINK") and p is Phase.shrink)],
    )


def assert_reached(outcomes: Counter[str], kinds: Iterable[str]) -> None:
    """Every outcome in ``kinds`` happened at least once: a machine that never reaches its interesting steps proves
    nothing about them. Asserted on the CI budget, which is derandomised (so this is deterministic for a given
    version of the machine); a randomised campaign (``HKTOKEN_INVARIANT_EXAMPLES``) only reports what it missed."""
    missing = [kind for kind in kinds if not outcomes[kind]]
    if os.environ.get("HKTOKEN_INVARIANT_EXAMPLES"):
        if missing:
            print(f"this randomised campaign never reached: {missing}")
        return
    assert not missing, f"never reached: {missing} (outcomes: {dict(outcomes)})"
