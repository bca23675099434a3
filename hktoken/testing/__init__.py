"""Testing your own integration: the pytest plugin (fixtures, per-test chain isolation; registered by the
``pytest11`` entry point) and public assertions for custodians' tests."""

from hktoken.testing.assertions import RevertInfo, nothing_sent, reverts

__all__ = ["RevertInfo", "nothing_sent", "reverts"]
