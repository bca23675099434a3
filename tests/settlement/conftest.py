"""The settlement suites build on the asset suites' ``market`` (registry, HKD stablecoin, admin module, roles)."""

from tests.assets.conftest import market

__all__ = ["market"]
