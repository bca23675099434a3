// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Payment token with a costly transfer (tests only)
/// @notice An ERC-20 of 6 decimals whose every balance change makes `coldReads` cold storage reads keyed by the
/// recipient, as a stablecoin with heavy compliance hooks, or behind a proxy, costs: the paying agent's gas tests pay
/// coupons in it. Never deploy for real assets.
contract HeavyPaymentToken is ERC20 {
    /// @notice Cold storage reads per balance change (2,100 gas each, for each new recipient).
    uint256 public immutable coldReads;
    mapping(address account => mapping(uint256 index => uint256)) private _pad;

    /// @notice The pad is never written: a read found a value.
    /// @param value What was read.
    error PadWritten(uint256 value);

    /// @notice Mints `initialSupply` to the deployer.
    /// @param initialSupply The amount minted to `msg.sender`.
    /// @param coldReads_ Cold storage reads per balance change.
    constructor(uint256 initialSupply, uint256 coldReads_) ERC20("Heavy", "HVY") {
        coldReads = coldReads_;
        _mint(msg.sender, initialSupply);
    }

    /// @notice 6, as the HKD stablecoin.
    /// @return The decimals.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @dev The reads, then the balance change.
    function _update(address from, address to, uint256 value) internal override {
        uint256 sum = 0;
        uint256 n = coldReads;
        for (uint256 i; i < n; ++i) {
            sum += _pad[to][i];
        }
        if (sum != 0) revert PadWritten(sum);
        super._update(from, to, value);
    }
}
