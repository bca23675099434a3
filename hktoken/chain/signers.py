"""Where signing keys come from: anvil's dev mnemonic, an environment variable, an encrypted keystore.

Keys are never printed or logged: errors name the variable or file, never the key or password.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic
from eth_account.signers.local import LocalAccount

from hktoken.errors import SignerError

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_DERIVATION_PREFIX = "m/44'/60'/0'/0/"
DEFAULT_KEY_ENV = "HKTOKEN_PRIVATE_KEY"


def dev_accounts(count: int = 10, mnemonic: str = DEFAULT_MNEMONIC) -> list[LocalAccount]:
    """The accounts anvil funds at start-up for ``mnemonic`` (BIP-44 path m/44'/60'/0'/0/i)."""
    seed = seed_from_mnemonic(mnemonic, "")
    return [Account.from_key(key_from_seed(seed, f"{DEFAULT_DERIVATION_PREFIX}{index}")) for index in range(count)]


def signer_from_env(variable: str = DEFAULT_KEY_ENV) -> LocalAccount:
    """The account whose hex private key is in environment variable ``variable``."""
    value = os.environ.get(variable)
    if not value:
        raise SignerError(
            f"environment variable {variable} is not set",
            fix=f"export {variable}=<hex private key> (or use a keystore file)",
        )
    try:
        account: LocalAccount = Account.from_key(value.strip())
        return account
    except (ValueError, TypeError) as exc:
        raise SignerError(
            f"environment variable {variable} does not hold a valid private key",
            fix="set it to 32 bytes of hex (64 hex digits, optional 0x)",
        ) from exc


def signer_from_keystore(path: str | Path, password: str) -> LocalAccount:
    """The account in an encrypted JSON keystore (Web3 Secret Storage, as geth and Foundry write)."""
    keystore = Path(path)
    try:
        encrypted = json.loads(keystore.read_text())
    except OSError as exc:
        raise SignerError(
            f"cannot read keystore {keystore} ({exc.strerror or exc})", fix="check the path and permissions"
        ) from exc
    except ValueError as exc:
        raise SignerError(
            f"keystore {keystore} is not valid JSON", fix="pass an encrypted keystore file (geth/Foundry format)"
        ) from exc
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise SignerError(f"wrong password for keystore {keystore}", fix="check the password") from exc
        raise SignerError(
            f"keystore {keystore} is not a valid encrypted key file",
            fix="pass an encrypted keystore file (geth/Foundry format)",
        ) from exc
    except (KeyError, TypeError) as exc:
        raise SignerError(
            f"keystore {keystore} is not a valid encrypted key file",
            fix="pass an encrypted keystore file (geth/Foundry format)",
        ) from exc
    account: LocalAccount = Account.from_key(key)
    return account
