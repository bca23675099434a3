// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The gold custodian: bar list, proof of reserve, attestations and the physical redemption desk
/// @notice One custodian backs one `GoldToken` (1 token = 1 fine troy ounce, 18 decimals). The reserve is the
/// total fine weight of the bars listed in custody; the token refuses any mint that would take its supply above
/// it, and the custodian refuses any bar removal that would leave the reserve below the supply.
/// @dev Weights: gross weight in milli-ounces (troy ounces to 3 decimals), fineness in parts per 10,000, so a bar's
/// fine weight is exactly `grossMilli * fineness` units of 1e-7 oz, i.e. `grossMilli * fineness * 1e11` token base
/// units. Every reserve figure of this interface is in token base units (1e18 = one fine troy ounce).
interface IGoldCustodian {
    /// @notice A bar of the list, as the custodian enters it.
    /// @param serial The refiner's serial number (UTF-8, zero-padded).
    /// @param refiner The refiner (UTF-8, zero-padded).
    /// @param vault The vault holding the bar (UTF-8, zero-padded).
    /// @param grossMilli Gross weight in thousandths of a troy ounce.
    /// @param fineness Fineness in parts per 10,000 (9999 = 99.99%).
    struct BarInput {
        bytes32 serial;
        bytes32 refiner;
        bytes32 vault;
        uint32 grossMilli;
        uint16 fineness;
    }

    /// @notice A bar in custody (`grossMilli == 0`: not listed).
    /// @param refiner The refiner.
    /// @param vault The vault.
    /// @param grossMilli Gross weight in thousandths of a troy ounce.
    /// @param fineness Fineness in parts per 10,000.
    /// @param listedAt When the bar was listed (unix time).
    struct Bar {
        bytes32 refiner;
        bytes32 vault;
        uint32 grossMilli;
        uint16 fineness;
        uint64 listedAt;
    }

    /// @notice A published attestation of the reserve.
    /// @param reportHash Hash of the auditor's report.
    /// @param ounces Fine ounces attested, in token base units.
    /// @param asOf The time the report speaks for (unix time).
    /// @param publishedAt When it was published on chain (unix time).
    /// @param uri Where the report can be read.
    struct Attestation {
        bytes32 reportHash;
        uint128 ounces;
        uint64 asOf;
        uint64 publishedAt;
        string uri;
    }

    /// @notice The life of a redemption request.
    /// None: no such request. Pending: tokens in escrow, awaiting the custodian. Fulfilled: bars released, tokens
    /// burned. Rejected: refused and the tokens returned. ReturnPending: refused, but the holder could not receive
    /// the tokens back at that moment (frozen, KYC lapsed, paused...): they wait in escrow for `reclaim`.
    enum RedemptionStatus {
        None,
        Pending,
        Fulfilled,
        Rejected,
        ReturnPending
    }

    /// @notice A redemption request.
    /// @param holder Who asked (and receives the bars, or the tokens back).
    /// @param requestedAt When (unix time).
    /// @param status Its status.
    /// @param amount Tokens held in escrow for it (base units).
    /// @param reason The custodian's reason code when rejected (zero otherwise).
    struct Redemption {
        address holder;
        uint64 requestedAt;
        RedemptionStatus status;
        uint128 amount;
        bytes32 reason;
    }

    /// @notice A bar entered custody.
    /// @param serial The serial.
    /// @param refiner The refiner.
    /// @param vault The vault.
    /// @param grossMilli Gross weight in thousandths of a troy ounce.
    /// @param fineness Fineness in parts per 10,000.
    /// @param fineWeight Its fine weight in token base units.
    event BarAdded(
        bytes32 indexed serial, bytes32 refiner, bytes32 vault, uint32 grossMilli, uint16 fineness, uint256 fineWeight
    );
    /// @notice A bar left custody (removed from the list, or released to a redeeming holder).
    /// @param serial The serial.
    /// @param fineWeight Its fine weight in token base units.
    event BarRemoved(bytes32 indexed serial, uint256 fineWeight);
    /// @notice A bar moved to another vault (it stays in custody; the reserve is unchanged).
    /// @param serial The serial.
    /// @param fromVault The vault it left.
    /// @param toVault The vault it is now in.
    event BarRelocated(bytes32 indexed serial, bytes32 fromVault, bytes32 toVault);
    /// @notice The reserve changed (once per batch).
    /// @param reserve The new reserve, in token base units.
    /// @param barCount Bars now in custody.
    event ReserveChanged(uint256 reserve, uint256 barCount);
    /// @notice An auditor published an attestation.
    /// @param index Its index (0 = first).
    /// @param reportHash Hash of the report.
    /// @param ounces Fine ounces attested (base units).
    /// @param asOf The time the report speaks for.
    /// @param uri Where to read it.
    event AttestationPublished(
        uint256 indexed index, bytes32 indexed reportHash, uint256 ounces, uint64 asOf, string uri
    );
    /// @notice A holder asked for physical gold; its tokens are now in escrow here.
    /// @param id The request id.
    /// @param holder The holder.
    /// @param amount Tokens escrowed (base units).
    event RedemptionRequested(uint256 indexed id, address indexed holder, uint256 amount);
    /// @notice The custodian released bars for a request and burned its tokens.
    /// @param id The request id.
    /// @param holder The holder.
    /// @param amount Tokens burned (base units).
    /// @param serials The bars released.
    /// @param fineReleased Their total fine weight (base units; at least `amount`).
    event RedemptionFulfilled(
        uint256 indexed id, address indexed holder, uint256 amount, bytes32[] serials, uint256 fineReleased
    );
    /// @notice The custodian refused a request.
    /// @param id The request id.
    /// @param holder The holder.
    /// @param amount Tokens of the request (base units).
    /// @param reason The custodian's reason code.
    event RedemptionRejected(uint256 indexed id, address indexed holder, uint256 amount, bytes32 reason);
    /// @notice The escrowed tokens of a rejected request went back to the holder.
    /// @param id The request id.
    /// @param holder The holder.
    /// @param amount Tokens returned (base units).
    event RedemptionReturned(uint256 indexed id, address indexed holder, uint256 amount);
    /// @notice The attestation age beyond which mints stop changed.
    /// @param maxAge The new age in seconds (0 = no such rule).
    event MaxAttestationAgeChanged(uint32 maxAge);
    /// @notice The smallest redemption the desk accepts changed.
    /// @param minimum The new minimum (base units; 0 = none).
    event MinimumRedemptionChanged(uint256 minimum);

    /// @notice The serial is listed already (a bar in custody cannot be listed twice).
    /// @param serial The serial.
    error BarAlreadyListed(bytes32 serial);
    /// @notice No bar with this serial is in custody.
    /// @param serial The serial.
    error BarNotListed(bytes32 serial);
    /// @notice A bar entry is malformed: empty serial, zero gross weight, or fineness not in 1..10000.
    /// @param serial The serial.
    /// @param grossMilli The gross weight given.
    /// @param fineness The fineness given.
    error InvalidBar(bytes32 serial, uint32 grossMilli, uint16 fineness);
    /// @notice A batch call was given no entries.
    error EmptyBatch();
    /// @notice The change would leave the reserve below the token supply (tokens in escrow included).
    /// @param supply The token supply after the change (base units).
    /// @param reserve The reserve after the change (base units).
    error ReserveShortfall(uint256 supply, uint256 reserve);
    /// @notice The attestation's as-of time is after the block time.
    /// @param asOf The as-of time given.
    /// @param nowTime The block time.
    error AttestationInFuture(uint64 asOf, uint64 nowTime);
    /// @notice The attestation's as-of time is before the previous attestation's.
    /// @param asOf The as-of time given.
    /// @param previousAsOf The previous attestation's.
    error AttestationOutOfOrder(uint64 asOf, uint64 previousAsOf);
    /// @notice An attestation needs a report hash, a URI and a non-zero as-of time.
    error InvalidAttestation();
    /// @notice No attestation with this index.
    /// @param index The index.
    error NoSuchAttestation(uint256 index);
    /// @notice A redemption request of zero, or below the desk's minimum.
    /// @param amount The amount asked.
    /// @param minimum The minimum (base units).
    error RedemptionBelowMinimum(uint256 amount, uint256 minimum);
    /// @notice The request is not in the status the call needs (Pending to fulfil or reject, ReturnPending to
    /// reclaim).
    /// @param id The request id.
    /// @param status Its status.
    error UnexpectedRedemptionStatus(uint256 id, RedemptionStatus status);
    /// @notice The released bars weigh less fine gold than the request.
    /// @param id The request id.
    /// @param requested The tokens of the request (base units).
    /// @param released The fine weight of the bars named (base units).
    error InsufficientBarsReleased(uint256 id, uint256 requested, uint256 released);
    /// @notice The holder's wallet is frozen on the token: its bars cannot be released.
    /// @param id The request id.
    /// @param holder The holder.
    error RedemptionHolderFrozen(uint256 id, address holder);
    /// @notice The token's treasury is not this custodian, so it cannot hold redemption escrow for every holder.
    /// @param treasury The token's treasury.
    error CustodianNotTreasury(address treasury);

    /// @notice The token this custodian backs (fixed at deployment).
    /// @return The token.
    function token() external view returns (address);

    /// @notice The reserve: total fine weight of the bars in custody, in token base units.
    /// @return The reserve.
    function reserve() external view returns (uint256);

    /// @notice What the token mints against, in one storage read: the reserve, and whether the latest attestation is
    /// recent enough (always true while no maximum attestation age is set).
    /// @return reserve_ The reserve, in token base units.
    /// @return attested False when the latest attestation is older than the maximum age (or there is none).
    function mintReserve() external view returns (uint256 reserve_, bool attested);
}
