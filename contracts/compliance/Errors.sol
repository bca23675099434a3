// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice An address argument is zero.
error ZeroAddress();

/// @notice The arrays of a batch call have different lengths.
error ArrayLengthMismatch();
