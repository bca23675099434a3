// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RWAAccess} from "./RWAAccess.sol";

/// @title Per-issuer mint rate limit (token bucket)
/// @notice DEFAULT_ADMIN_ROLE may cap how fast each issuer mints: the bucket holds at most `amountPerPeriod`
/// and refills continuously at `amountPerPeriod / period` tokens per second. Issuers without a limit are unlimited.
abstract contract RWAMintRateLimit is RWAAccess {
    /// @dev Slot 1: limit and refill timestamp; slot 2: tokens available at `updatedAt`.
    struct MintBucket {
        uint128 amountPerPeriod;
        uint64 period;
        uint64 updatedAt;
        uint256 available;
    }

    mapping(address issuer => MintBucket) private _mintBuckets;

    /// @notice Emitted when an issuer's mint rate limit is set or removed (amountPerPeriod 0).
    /// @param issuer The issuer.
    /// @param amountPerPeriod Bucket size (0 = unlimited).
    /// @param period Refill period in seconds.
    event MintRateLimitSet(address indexed issuer, uint128 amountPerPeriod, uint64 period);

    /// @notice The mint exceeds the issuer's remaining allowance.
    error MintRateLimitExceeded(address issuer, uint256 requested, uint256 available);
    /// @notice A rate limit needs a non-zero period.
    error InvalidMintRatePeriod();

    /// @notice Sets (or, with amountPerPeriod 0, removes) the mint rate limit of `issuer`; the bucket starts full.
    /// @param issuer The issuer.
    /// @param amountPerPeriod Maximum amount per `period` (0 removes the limit).
    /// @param period Refill period in seconds (> 0 when a limit is set).
    function setMintRateLimit(address issuer, uint128 amountPerPeriod, uint64 period)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (issuer == address(0)) revert ZeroAddress();
        if (amountPerPeriod == 0) {
            delete _mintBuckets[issuer];
        } else {
            if (period == 0) revert InvalidMintRatePeriod();
            _mintBuckets[issuer] = MintBucket({
                amountPerPeriod: amountPerPeriod,
                period: period,
                updatedAt: uint64(block.timestamp),
                available: amountPerPeriod
            });
        }
        emit MintRateLimitSet(issuer, amountPerPeriod, period);
    }

    /// @notice The rate limit of `issuer`.
    /// @param issuer The issuer.
    /// @return amountPerPeriod Bucket size (0 = unlimited).
    /// @return period Refill period in seconds.
    function mintRateLimit(address issuer) external view returns (uint128 amountPerPeriod, uint64 period) {
        MintBucket storage b = _mintBuckets[issuer];
        return (b.amountPerPeriod, b.period);
    }

    /// @notice How much `issuer` may mint right now.
    /// @param issuer The issuer.
    /// @return The remaining allowance, or type(uint256).max when the issuer has no limit.
    function mintAllowance(address issuer) external view returns (uint256) {
        MintBucket storage b = _mintBuckets[issuer];
        if (b.amountPerPeriod == 0) return type(uint256).max;
        return _availableNow(b);
    }

    /// @dev Takes `amount` from the issuer's bucket; reverts with `MintRateLimitExceeded` if not available.
    /// Bucket bookkeeping is derived from the mint's own `Transfer` event, so it emits no event of its own.
    function _consumeMintAllowance(address issuer, uint256 amount) internal {
        MintBucket storage b = _mintBuckets[issuer];
        if (b.amountPerPeriod == 0) return;
        uint256 available = _availableNow(b);
        if (amount > available) revert MintRateLimitExceeded(issuer, amount, available);
        unchecked {
            // amount <= available checked above.
            b.available = available - amount;
        }
        b.updatedAt = uint64(block.timestamp);
    }

    function _availableNow(MintBucket storage b) private view returns (uint256) {
        uint256 cap = b.amountPerPeriod;
        uint256 refill;
        unchecked {
            // block.timestamp >= updatedAt; elapsed < 2^64 and cap < 2^128, so the product fits in 2^192.
            refill = ((block.timestamp - b.updatedAt) * cap) / b.period;
        }
        uint256 available = b.available + refill;
        return available > cap ? cap : available;
    }
}
