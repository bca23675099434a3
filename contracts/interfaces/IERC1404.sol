// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ERC-1404 simple restricted token standard
/// @notice Lets wallets and exchanges ask why a transfer would fail, before sending it.
interface IERC1404 {
    /// @notice Returns the restriction code for a transfer; 0 means the transfer is allowed.
    /// @param from The sender.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return The restriction code (see `RestrictionCodes`).
    function detectTransferRestriction(address from, address to, uint256 value) external view returns (uint8);

    /// @notice Returns the human-readable message for a restriction code.
    /// @param restrictionCode A code returned by `detectTransferRestriction`.
    /// @return The message.
    function messageForTransferRestriction(uint8 restrictionCode) external view returns (string memory);
}
