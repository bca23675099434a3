"""Signers: anvil's dev mnemonic, an environment variable, an encrypted keystore. Keys never leak into errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr

from hktoken.chain import dev_accounts, signer_from_env, signer_from_keystore
from hktoken.errors import SignerError

from ._support import DEV_KEY_0

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KEY_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
KEYSTORE_FIX = "pass an encrypted keystore file (geth/Foundry format)"


def test_dev_accounts_are_anvils() -> None:
    accounts = dev_accounts()
    assert len(accounts) == 10
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert accounts[0].key.hex() == DEV_KEY_0
    assert accounts[1].address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert accounts[9].address == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
    assert [a.address for a in dev_accounts(3)] == [a.address for a in accounts[:3]]


def test_dev_accounts_follow_the_mnemonic() -> None:
    other = dev_accounts(
        1, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
    )
    assert other[0].address == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def test_env_signer_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HKTOKEN_PRIVATE_KEY", raising=False)
    with pytest.raises(SignerError) as info:
        signer_from_env()
    assert str(info.value) == (
        "environment variable HKTOKEN_PRIVATE_KEY is not set: "
        "export HKTOKEN_PRIVATE_KEY=<hex private key> (or use a keystore file)"
    )


@pytest.mark.parametrize(
    "value",
    [
        "0x1234",  # too short
        "0x" + "zz" * 32,  # not hex
        KEY[:-1] + "g",  # one bad digit in an otherwise real key
        "0x" + "00" * 32,  # out of the curve's range
        KEY + "00",  # too long
        "   ",  # blank
    ],
)
def test_env_signer_malformed_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEPLOYER_KEY", value)
    with pytest.raises(SignerError) as info:
        signer_from_env("DEPLOYER_KEY")
    message = str(info.value)
    assert message == (
        "environment variable DEPLOYER_KEY does not hold a valid private key: "
        "set it to 32 bytes of hex (64 hex digits, optional 0x)"
    )
    for leaked in (value.strip(), value.strip().removeprefix("0x")):
        if leaked:
            assert leaked not in message
            assert leaked not in repr(info.value.__cause__)


@pytest.mark.parametrize("value", [KEY, KEY[2:], f"  {KEY}\n"])
def test_env_signer_valid_key(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HKTOKEN_PRIVATE_KEY", value)
    account = signer_from_env()
    assert account.address == KEY_ADDRESS
    assert "0x" + account.key.hex() == KEY


@pytest.fixture
def keystore(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(HexStr(KEY), "correct horse", kdf="scrypt", iterations=2)))
    return path


def test_keystore_right_password(keystore: Path) -> None:
    account = signer_from_keystore(keystore, "correct horse")
    assert account.address == KEY_ADDRESS
    assert signer_from_keystore(str(keystore), "correct horse").address == KEY_ADDRESS


def test_keystore_wrong_password(keystore: Path) -> None:
    with pytest.raises(SignerError) as info:
        signer_from_keystore(keystore, "battery staple")
    assert str(info.value) == f"wrong password for keystore {keystore}: check the password"
    assert "battery staple" not in str(info.value)


def test_keystore_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(SignerError) as info:
        signer_from_keystore(path, "pw")
    assert str(info.value) == f"cannot read keystore {path} (No such file or directory): check the path and permissions"


def test_keystore_path_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SignerError) as info:
        signer_from_keystore(tmp_path, "pw")
    assert str(info.value) == f"cannot read keystore {tmp_path} (Is a directory): check the path and permissions"


def test_keystore_not_json(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(SignerError) as info:
        signer_from_keystore(path, "pw")
    assert str(info.value) == f"keystore {path} is not valid JSON: {KEYSTORE_FIX}"


@pytest.mark.parametrize("content", [{"hello": 1}, [1, 2], {"version": 3, "crypto": {"cipher": "aes-128-ctr"}}])
def test_keystore_json_that_is_not_a_keystore(tmp_path: Path, content: object) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(content))
    with pytest.raises(SignerError) as info:
        signer_from_keystore(path, "pw")
    assert str(info.value) == f"keystore {path} is not a valid encrypted key file: {KEYSTORE_FIX}"
