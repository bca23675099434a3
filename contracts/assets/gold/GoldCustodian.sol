// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IERC1404} from "../../interfaces/IERC1404.sol";
import {IGoldCustodian} from "../../interfaces/IGoldCustodian.sol";
import {IRWAToken} from "../../interfaces/IRWAToken.sol";
import {ZeroAddress} from "../../compliance/Errors.sol";

/// @title The gold custodian of a `GoldToken`: bar list, proof of reserve, attestations, physical redemption
/// @notice The vault's side of tokenized gold. The CUSTODIAN_ROLE lists the bars in custody and releases them;
/// their total fine weight is the reserve the token mints against. The AUDITOR_ROLE publishes attestations. A
/// holder redeems for physical gold by putting tokens in escrow here; the custodian fulfils (names the bars
/// released; the tokens are burned) or rejects (the tokens go back).
/// @dev Deploy this first, naming the token's future address (the token's constructor checks `token()`), then the
/// token with this contract as its treasury: an exit to the treasury is allowed under every compliance rule, even
/// for a holder whose KYC lapsed, so escrow always works. This contract needs ISSUER_ROLE on the token to burn
/// what it redeems (and has no way to mint). Invariant, checked on every bar removal and (by the token) on every
/// mint: `token.totalSupply() <= reserve()`; escrowed tokens are still supply until burned. Optionally
/// (`setMaxAttestationAge`) the token also stops minting while the latest attestation is too old. No loop runs over
/// requests or attestations; batches loop over their own bars only.
contract GoldCustodian is AccessControl, IGoldCustodian {
    using SafeERC20 for IERC20;

    /// @notice Lists and releases bars; fulfils and rejects redemptions.
    bytes32 public constant CUSTODIAN_ROLE = keccak256("CUSTODIAN_ROLE");
    /// @notice Publishes attestations of the reserve.
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @dev Token base units per fine-weight unit (1e-7 oz = gross milli-ounce x fineness / 10,000).
    uint256 private constant _UNIT = 1e11;
    uint16 private constant _MAX_FINENESS = 10_000;

    /// @inheritdoc IGoldCustodian
    address public immutable token;
    /// @notice The block this custodian was deployed in (where its event history starts).
    uint256 public immutable deploymentBlock;

    // One slot, read by every mint (through `mintReserve`): fine weight in 1e-7 oz, the latest attestation's as-of
    // time, the attestation age beyond which mints stop (0 = no such rule), bars in custody.
    uint128 private _fineUnits;
    uint64 private _latestAsOf;
    uint32 private _maxAttestationAge;
    uint32 private _barCount;
    // One slot, written by every request: tokens in escrow, requests made.
    uint128 private _escrowed;
    uint64 private _redemptionCount;
    uint128 private _minimumRedemption;

    mapping(bytes32 serial => Bar) private _bars;
    Attestation[] private _attestations;
    mapping(uint256 id => Redemption) private _redemptions;

    /// @notice Deploys the custodian of `token_` (which must be deployed next, naming this contract).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants CUSTODIAN_ROLE and AUDITOR_ROLE, sets the minimum).
    /// @param token_ The token's address (predicted: the token is deployed after this contract).
    constructor(address admin, address token_) {
        if (admin == address(0) || token_ == address(0)) revert ZeroAddress();
        token = token_;
        deploymentBlock = block.number;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ bar list (CUSTODIAN_ROLE)

    /// @notice Lists bars entering custody (all or nothing). Each serial must not be listed already.
    /// @dev Emits `BarAdded` per bar and one `ReserveChanged`. Gross weight > 0, fineness 1..10000 (Good Delivery
    /// ranges are the off-chain model's to check: the chain also takes kilobars and other bars).
    /// @param bars The bars.
    function addBars(BarInput[] calldata bars) external onlyRole(CUSTODIAN_ROLE) {
        uint256 n = bars.length;
        if (n == 0) revert EmptyBatch();
        uint256 added;
        for (uint256 i; i < n; ++i) {
            BarInput calldata b = bars[i];
            if (b.serial == bytes32(0) || b.grossMilli == 0 || b.fineness == 0 || b.fineness > _MAX_FINENESS) {
                revert InvalidBar(b.serial, b.grossMilli, b.fineness);
            }
            Bar storage stored = _bars[b.serial];
            if (stored.grossMilli != 0) revert BarAlreadyListed(b.serial);
            stored.refiner = b.refiner;
            stored.vault = b.vault;
            stored.grossMilli = b.grossMilli;
            stored.fineness = b.fineness;
            stored.listedAt = uint64(block.timestamp);
            uint256 fine = uint256(b.grossMilli) * b.fineness;
            added += fine;
            emit BarAdded(b.serial, b.refiner, b.vault, b.grossMilli, b.fineness, fine * _UNIT);
        }
        uint256 units = _fineUnits + added;
        _fineUnits = SafeCast.toUint128(units);
        _barCount += SafeCast.toUint32(n);
        emit ReserveChanged(units * _UNIT, _barCount);
    }

    /// @notice Removes bars from custody (all or nothing): refused when the reserve left would be below the supply.
    /// @param serials The bars' serials.
    function removeBars(bytes32[] calldata serials) external onlyRole(CUSTODIAN_ROLE) {
        uint256 removed = _removeBars(serials);
        uint256 unitsAfter = _fineUnits - removed;
        uint256 supply = IERC20(token).totalSupply();
        if (supply > unitsAfter * _UNIT) revert ReserveShortfall(supply, unitsAfter * _UNIT);
        _setReserve(unitsAfter, serials.length);
    }

    /// @notice Records that bars moved to another vault (all or nothing); they stay in custody and the reserve is
    /// unchanged, so no reserve headroom is needed (unlike a removal and a new listing).
    /// @param serials The bars' serials (each in custody).
    /// @param vault The vault they are now in.
    function relocateBars(bytes32[] calldata serials, bytes32 vault) external onlyRole(CUSTODIAN_ROLE) {
        uint256 n = serials.length;
        if (n == 0) revert EmptyBatch();
        for (uint256 i; i < n; ++i) {
            bytes32 serial = serials[i];
            Bar storage stored = _bars[serial];
            if (stored.grossMilli == 0) revert BarNotListed(serial);
            emit BarRelocated(serial, stored.vault, vault);
            stored.vault = vault;
        }
    }

    // ------------------------------------------------------------------ attestations (AUDITOR_ROLE)

    /// @notice Publishes an attestation of the reserve.
    /// @param reportHash Hash of the report (non-zero).
    /// @param uri Where to read it (non-empty).
    /// @param ounces Fine ounces attested, in token base units.
    /// @param asOf The time the report speaks for: non-zero, not in the future, not before the previous attestation's.
    /// @return index The attestation's index.
    function attest(bytes32 reportHash, string calldata uri, uint256 ounces, uint64 asOf)
        external
        onlyRole(AUDITOR_ROLE)
        returns (uint256 index)
    {
        if (reportHash == bytes32(0) || bytes(uri).length == 0 || asOf == 0) revert InvalidAttestation();
        if (asOf > block.timestamp) revert AttestationInFuture(asOf, uint64(block.timestamp));
        index = _attestations.length;
        if (index != 0) {
            uint64 previous = _attestations[index - 1].asOf;
            if (asOf < previous) revert AttestationOutOfOrder(asOf, previous);
        }
        _attestations.push(
            Attestation(reportHash, SafeCast.toUint128(ounces), asOf, uint64(block.timestamp), uri)
        );
        _latestAsOf = asOf;
        emit AttestationPublished(index, reportHash, ounces, asOf, uri);
    }

    // ------------------------------------------------------------------ redemption desk

    /// @notice Asks for physical gold: `amount` tokens move from the caller into escrow here (approve first, or use
    /// `requestRedemptionWithPermit`). Works for a holder whose KYC lapsed (an exit to the treasury).
    /// @param amount Tokens to redeem (base units; at least `minimumRedemption`).
    /// @return id The request id (from 1).
    function requestRedemption(uint256 amount) external returns (uint256 id) {
        return _request(amount);
    }

    /// @notice `requestRedemption` with an EIP-2612 permit for this custodian, in one transaction. A permit that
    /// fails (already used, e.g. front-run) is ignored: the escrow then needs the allowance to be in place.
    /// @param amount Tokens to redeem (base units).
    /// @param deadline The permit's deadline.
    /// @param v Signature v.
    /// @param r Signature r.
    /// @param s Signature s.
    /// @return id The request id.
    function requestRedemptionWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 id)
    {
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        return _request(amount);
    }

    /// @notice Fulfils a pending request: releases the named bars to the holder and burns the escrowed tokens.
    /// The bars' fine weight must cover the request; any excess fine weight is the holder's to settle off chain.
    /// Refused when the reserve left would be below the supply left.
    /// @param id The request id.
    /// @param serials The bars released.
    function fulfil(uint256 id, bytes32[] calldata serials) external onlyRole(CUSTODIAN_ROLE) {
        Redemption storage request = _pending(id);
        address holder = request.holder;
        uint256 amount = request.amount;
        if (IRWAToken(token).isFrozen(holder)) revert RedemptionHolderFrozen(id, holder);
        uint256 removed = _removeBars(serials);
        uint256 released = removed * _UNIT;
        if (released < amount) revert InsufficientBarsReleased(id, amount, released);
        uint256 unitsAfter = _fineUnits - removed;
        uint256 supplyAfter = IERC20(token).totalSupply() - amount;
        if (supplyAfter > unitsAfter * _UNIT) revert ReserveShortfall(supplyAfter, unitsAfter * _UNIT);
        request.status = RedemptionStatus.Fulfilled;
        unchecked {
            // The request's amount is part of the escrow.
            _escrowed -= uint128(amount);
        }
        emit RedemptionFulfilled(id, holder, amount, serials, released);
        _setReserve(unitsAfter, serials.length);
        IRWAToken(token).burn(address(this), amount);
    }

    /// @notice Rejects a pending request and returns the escrowed tokens to the holder. When the token would refuse
    /// that return right now (holder frozen or no longer eligible, token paused), the tokens stay in escrow under
    /// status ReturnPending until `reclaim`, so a rejection never blocks.
    /// @param id The request id.
    /// @param reason The custodian's reason code (e.g. a hash of the reason text).
    function reject(uint256 id, bytes32 reason) external onlyRole(CUSTODIAN_ROLE) {
        Redemption storage request = _pending(id);
        address holder = request.holder;
        uint256 amount = request.amount;
        request.reason = reason;
        emit RedemptionRejected(id, holder, amount, reason);
        if (IERC1404(token).detectTransferRestriction(address(this), holder, amount) == 0) {
            _return(id, request, holder, amount);
        } else {
            request.status = RedemptionStatus.ReturnPending;
        }
    }

    /// @notice Sends the escrowed tokens of a rejected request back to its holder once the token allows it (anyone
    /// may call; the tokens only ever go to the holder).
    /// @param id The request id (status ReturnPending).
    function reclaim(uint256 id) external {
        Redemption storage request = _redemptions[id];
        if (request.status != RedemptionStatus.ReturnPending) revert UnexpectedRedemptionStatus(id, request.status);
        _return(id, request, request.holder, request.amount);
    }

    /// @notice Sets how old the latest attestation may be for the token to mint (DEFAULT_ADMIN_ROLE): beyond it,
    /// mints are refused with restriction code 73 until the auditor attests again. 0 turns the rule off (the
    /// default). Bar removals and redemptions are never blocked by it.
    /// @param maxAge The age in seconds, measured from the latest attestation's as-of time.
    function setMaxAttestationAge(uint32 maxAge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _maxAttestationAge = maxAge;
        emit MaxAttestationAgeChanged(maxAge);
    }

    /// @notice Sets the smallest redemption accepted (DEFAULT_ADMIN_ROLE; e.g. 350 oz for whole Good Delivery bars).
    /// @param minimum The minimum, in token base units (0: any positive amount).
    function setMinimumRedemption(uint256 minimum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _minimumRedemption = SafeCast.toUint128(minimum);
        emit MinimumRedemptionChanged(minimum);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IGoldCustodian
    function reserve() external view returns (uint256) {
        return uint256(_fineUnits) * _UNIT;
    }

    /// @inheritdoc IGoldCustodian
    function mintReserve() external view returns (uint256 reserve_, bool attested) {
        uint256 maxAge = _maxAttestationAge;
        reserve_ = uint256(_fineUnits) * _UNIT;
        uint256 latest = _latestAsOf; // 0: none published (an as-of time is never 0)
        attested = maxAge == 0 || (latest != 0 && block.timestamp <= latest + maxAge);
    }

    /// @notice The attestation age beyond which mints stop.
    /// @return The age in seconds (0: no such rule).
    function maxAttestationAge() external view returns (uint256) {
        return _maxAttestationAge;
    }

    /// @notice Reserve over supply as an 18-decimal fixed-point number (1e18 = 100%, fully backed); the maximum
    /// uint256 when the supply is zero.
    /// @return The ratio.
    function reserveRatio() external view returns (uint256) {
        uint256 supply = IERC20(token).totalSupply();
        if (supply == 0) return type(uint256).max;
        return uint256(_fineUnits) * _UNIT * 1e18 / supply;
    }

    /// @notice What the token may still mint: reserve minus supply.
    /// @return The headroom in token base units.
    function mintHeadroom() external view returns (uint256) {
        uint256 reserve_ = uint256(_fineUnits) * _UNIT;
        uint256 supply = IERC20(token).totalSupply();
        return reserve_ > supply ? reserve_ - supply : 0;
    }

    /// @notice Bars in custody.
    /// @return The count.
    function barCount() external view returns (uint256) {
        return _barCount;
    }

    /// @notice A bar by serial (all zero when not in custody).
    /// @param serial The serial.
    /// @return The bar.
    function bar(bytes32 serial) external view returns (Bar memory) {
        return _bars[serial];
    }

    /// @notice Tokens held in escrow for pending and return-pending requests.
    /// @return The amount in base units.
    function escrowed() external view returns (uint256) {
        return _escrowed;
    }

    /// @notice The smallest redemption accepted.
    /// @return The minimum in base units (0: any positive amount).
    function minimumRedemption() external view returns (uint256) {
        return _minimumRedemption;
    }

    /// @notice Requests made so far (ids run from 1 to this count).
    /// @return The count.
    function redemptionCount() external view returns (uint256) {
        return _redemptionCount;
    }

    /// @notice A redemption request (status None when there is no such id).
    /// @param id The request id.
    /// @return The request.
    function redemption(uint256 id) external view returns (Redemption memory) {
        return _redemptions[id];
    }

    /// @notice Attestations published so far.
    /// @return The count.
    function attestationCount() external view returns (uint256) {
        return _attestations.length;
    }

    /// @notice One attestation by index.
    /// @param index The index (0 = first).
    /// @return The attestation.
    function attestation(uint256 index) external view returns (Attestation memory) {
        if (index >= _attestations.length) revert NoSuchAttestation(index);
        return _attestations[index];
    }

    /// @notice The latest attestation (reverts `NoSuchAttestation(0)` when none was published).
    /// @return The attestation.
    function latestAttestation() external view returns (Attestation memory) {
        uint256 n = _attestations.length;
        if (n == 0) revert NoSuchAttestation(0);
        return _attestations[n - 1];
    }

    // ------------------------------------------------------------------ internals

    function _request(uint256 amount) private returns (uint256 id) {
        uint256 minimum = _minimumRedemption;
        if (amount == 0 || amount < minimum) revert RedemptionBelowMinimum(amount, minimum);
        address treasury_ = IRWAToken(token).treasury();
        if (treasury_ != address(this)) revert CustodianNotTreasury(treasury_);
        uint128 amount128 = SafeCast.toUint128(amount);
        unchecked {
            // A uint64 counter of requests does not wrap.
            id = ++_redemptionCount;
        }
        _redemptions[id] = Redemption(msg.sender, uint64(block.timestamp), RedemptionStatus.Pending, amount128, 0);
        _escrowed += amount128;
        emit RedemptionRequested(id, msg.sender, amount);
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    function _pending(uint256 id) private view returns (Redemption storage request) {
        request = _redemptions[id];
        if (request.status != RedemptionStatus.Pending) revert UnexpectedRedemptionStatus(id, request.status);
    }

    function _return(uint256 id, Redemption storage request, address holder, uint256 amount) private {
        request.status = RedemptionStatus.Rejected;
        unchecked {
            // The request's amount is part of the escrow.
            _escrowed -= uint128(amount);
        }
        emit RedemptionReturned(id, holder, amount);
        IERC20(token).safeTransfer(holder, amount);
    }

    /// @dev Deletes the bars (each must be listed; a serial named twice is not listed the second time) and returns
    /// their fine weight in 1e-7 oz. Emits `BarRemoved` per bar.
    function _removeBars(bytes32[] calldata serials) private returns (uint256 removed) {
        uint256 n = serials.length;
        if (n == 0) revert EmptyBatch();
        for (uint256 i; i < n; ++i) {
            bytes32 serial = serials[i];
            Bar storage stored = _bars[serial];
            uint256 gross = stored.grossMilli;
            if (gross == 0) revert BarNotListed(serial);
            uint256 fine = gross * stored.fineness;
            delete _bars[serial];
            removed += fine;
            emit BarRemoved(serial, fine * _UNIT);
        }
    }

    function _setReserve(uint256 units, uint256 barsRemoved) private {
        _fineUnits = uint128(units); // units <= the previous value, a uint128
        uint32 count;
        unchecked {
            // Every removed bar was counted.
            count = _barCount - uint32(barsRemoved);
        }
        _barCount = count;
        emit ReserveChanged(units * _UNIT, count);
    }
}
