// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ERC-1271 contract wallet (tests only)
/// @notice A smart-contract wallet whose one owner key signs for it (ERC-1271), as a custodian's wallet would: the
/// DvP tests settle a trade with it as a party. Never deploy for real assets.
contract ERC1271WalletMock is IERC1271 {
    /// @notice The key that signs for the wallet.
    address public immutable owner;

    /// @notice The caller is not the owner.
    /// @param caller The caller.
    error NotWalletOwner(address caller);

    /// @notice Deploys a wallet signed for by `owner_`.
    /// @param owner_ The owner key.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271: valid when the owner key signed `hash`.
    /// @param hash The signed digest.
    /// @param signature The owner's 65-byte signature.
    /// @return magicValue `IERC1271.isValidSignature.selector` if valid, else 0xffffffff.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4 magicValue) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? this.isValidSignature.selector : bytes4(0xffffffff);
    }

    /// @notice Approves `spender` for `amount` of the wallet's `token` (owner only).
    /// @param token The token.
    /// @param spender The spender.
    /// @param amount The allowance.
    function approveToken(IERC20 token, address spender, uint256 amount) external {
        if (msg.sender != owner) revert NotWalletOwner(msg.sender);
        token.approve(spender, amount);
    }
}
