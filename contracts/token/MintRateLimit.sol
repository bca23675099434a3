// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TokenStorage} from "../compliance/TokenStorage.sol";

/// @title Per-issuer mint rate limit (a token bucket), exact to the base unit
/// @notice A bucket holds at most `amountPerPeriod` and refills continuously at exactly `amountPerPeriod` per
/// `period` seconds. The bucket is kept in units x seconds (`availableScaled` = available x period), so a refill
/// never loses its fraction: with 100 per day and 1 unit minted every 840 s the issuer can keep minting for
/// thousands of mints, not 100.
library MintRateLimit {
    /// @notice What `issuer` may mint now: 0 while suspended, type(uint256).max without a limit.
    /// @param $ The storage.
    /// @param issuer The issuer.
    /// @return The allowance.
    function available(TokenStorage.Layout storage $, address issuer) internal view returns (uint256) {
        TokenStorage.MintBucket storage b = $.mintBuckets[issuer];
        if (b.suspended) return 0;
        if (b.amountPerPeriod == 0) return type(uint256).max;
        return scaledNow(b) / b.period;
    }

    /// @notice The bucket content now, in units x seconds.
    /// @param b The bucket (with a limit).
    /// @return scaled Available x period, at most amountPerPeriod x period.
    function scaledNow(TokenStorage.MintBucket storage b) internal view returns (uint256 scaled) {
        uint256 rate = b.amountPerPeriod;
        uint256 full = rate * b.period; // < 2^192
        unchecked {
            // block.timestamp >= updatedAt; elapsed < 2^64 and rate < 2^128: no overflow in 256 bits.
            scaled = uint256(b.availableScaled) + (block.timestamp - b.updatedAt) * rate;
        }
        if (scaled > full) scaled = full;
    }
}
