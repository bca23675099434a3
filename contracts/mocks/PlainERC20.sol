// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Plain OpenZeppelin ERC-20
/// @notice Gas-benchmark baseline only: an unrestricted ERC-20 with no extra logic. Never deploy for real assets.
contract PlainERC20 is ERC20 {
    /// @notice Mints `initialSupply` to the deployer.
    /// @param initialSupply The amount minted to `msg.sender`.
    constructor(uint256 initialSupply) ERC20("Plain", "PLN") {
        _mint(msg.sender, initialSupply);
    }
}
