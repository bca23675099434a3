"""Toolchain benchmark: cold compile of contracts/, warm no-op compile, anvil start-to-ready,
and one evm_snapshot/evm_revert pair. Run: ``python bench/toolchain.py``."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _table import print_figures, print_table

from hktoken.artifacts import ARTIFACTS_DIR
from hktoken.chain import Anvil
from hktoken.compiler import compile_project

ANVIL_STARTS = 5
SNAPSHOT_PAIRS = 50


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hktoken-bench-") as tmp:
        cold = compile_project(artifacts_dir=Path(tmp), force=True)
    warm = compile_project(artifacts_dir=ARTIFACTS_DIR)
    if not warm.cached:  # the shipped artifacts were stale: this run rebuilt them, so time a second one
        warm = compile_project(artifacts_dir=ARTIFACTS_DIR)

    starts: list[float] = []
    for _ in range(ANVIL_STARTS):
        began = time.perf_counter()
        node = Anvil()
        node.start()
        starts.append(time.perf_counter() - began)
        node.stop()

    pairs: list[float] = []
    with Anvil() as chain:
        for _ in range(SNAPSHOT_PAIRS):
            began = time.perf_counter()
            chain.revert(chain.snapshot())
            pairs.append(time.perf_counter() - began)

    figures = {
        "contracts": len(cold.contracts),
        "solc": cold.solc_version,
        "cold_compile_s": round(cold.seconds, 3),
        "warm_compile_s": round(warm.seconds, 4),
        "anvil_start_median_s": round(statistics.median(starts), 4),
        "anvil_start_max_s": round(max(starts), 4),
        "snapshot_revert_median_ms": round(statistics.median(pairs) * 1000, 3),
    }
    print_table(
        "hktoken toolchain benchmark",
        ["measure", "value", "note"],
        [
            ("cold compile", f"{cold.seconds:.2f} s", f"{len(cold.contracts)} contracts, solc {cold.solc_version}"),
            ("warm no-op compile", f"{warm.seconds * 1000:.1f} ms", "content-hash cache hit"),
            ("anvil start-to-ready", f"{statistics.median(starts) * 1000:.0f} ms", f"median of {ANVIL_STARTS}"),
            ("snapshot + revert", f"{statistics.median(pairs) * 1000:.2f} ms", f"median of {SNAPSHOT_PAIRS}"),
        ],
    )
    print_figures(figures)


if __name__ == "__main__":
    main()
