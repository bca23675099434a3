// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IDvPSettlement} from "../interfaces/IDvPSettlement.sol";
import {ZeroAddress} from "../compliance/Errors.sol";

/// @title Atomic delivery-versus-payment of EIP-712 signed trades
/// @notice Settles a trade of any asset token against any ERC-20 payment token in one transaction: both legs move, or
/// neither does. Both parties sign the same `Trade`; a platform, a broker or either party submits the pair.
/// @dev Depends on `IERC20` / `IERC20Permit` only, never on a concrete token. The asset leg is the token's own
/// `transferFrom(seller, buyer, amount)`, so an hktoken asset token applies every compliance rule, and its refusal
/// (`TransferRestricted(from, to, amount, code)`) bubbles up unchanged through SafeERC20.
///
/// Replay protection is Permit2-style unordered nonces: each party has a bitmap, 256 nonces per storage word, and a
/// settlement flips one bit in each party's word. Between parties who have traded before, both words are already
/// non-zero, so each flip is a non-zero to non-zero write (5,000 gas cold) instead of a fresh slot (22,100).
/// The nonces are consumed before either leg moves (checks-effects-interactions): a token calling back cannot settle
/// the same trade twice, and a reentrant settlement of another trade needs both its parties' signatures anyway.
contract DvPSettlement is IDvPSettlement, EIP712, AccessControl, Pausable {
    using SafeERC20 for IERC20;

    /// @notice Pauses and unpauses settlement (cancellation always stays open).
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice The EIP-712 type hash of `Trade`.
    bytes32 public constant TRADE_TYPEHASH = keccak256(
        "Trade(address seller,address buyer,address asset,uint256 assetAmount,address payment,uint256 paymentAmount,"
        "uint256 sellerNonce,uint256 buyerNonce,uint256 expiry,address submitter)"
    );

    mapping(address party => mapping(uint256 wordPosition => uint256 bits)) private _nonceBitmap;

    /// @notice Deploys the settlement contract (EIP-712 domain "hktoken DvP", version "1").
    /// @param admin Receives DEFAULT_ADMIN_ROLE only (grants PAUSER_ROLE).
    constructor(address admin) EIP712("hktoken DvP", "1") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IDvPSettlement
    function settle(Trade calldata trade, bytes calldata sellerSignature, bytes calldata buyerSignature)
        external
        whenNotPaused
    {
        _settle(trade, sellerSignature, buyerSignature);
    }

    /// @inheritdoc IDvPSettlement
    function settleWithPermits(
        Trade calldata trade,
        bytes calldata sellerSignature,
        bytes calldata buyerSignature,
        Permit calldata assetPermit,
        Permit calldata paymentPermit
    ) external whenNotPaused {
        if (assetPermit.deadline != 0) _tryPermit(trade.asset, trade.seller, assetPermit);
        if (paymentPermit.deadline != 0) _tryPermit(trade.payment, trade.buyer, paymentPermit);
        _settle(trade, sellerSignature, buyerSignature);
    }

    /// @inheritdoc IDvPSettlement
    function cancel(uint256 nonce) external {
        address party = _msgSender();
        _useNonce(party, nonce);
        emit NonceCancelled(party, nonce);
    }

    /// @notice Stops every settlement (PAUSER_ROLE); cancellations stay open.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes settlement (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IDvPSettlement
    function hashTrade(Trade calldata trade) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(trade));
    }

    /// @inheritdoc IDvPSettlement
    function isNonceUsed(address party, uint256 nonce) external view returns (bool) {
        return _nonceBitmap[party][nonce >> 8] & (uint256(1) << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IDvPSettlement
    function nonceBitmap(address party, uint256 wordPosition) external view returns (uint256) {
        return _nonceBitmap[party][wordPosition];
    }

    /// @notice ERC-165: `IDvPSettlement` and AccessControl's interfaces.
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IDvPSettlement).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    /// @return The domain separator.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Checks, then both nonces (effects), then the two legs (interactions).
    function _settle(Trade calldata trade, bytes calldata sellerSignature, bytes calldata buyerSignature) private {
        address seller = trade.seller;
        address buyer = trade.buyer;
        if (block.timestamp > trade.expiry) revert TradeExpired(trade.expiry);
        address submitter = trade.submitter;
        if (submitter != address(0) && submitter != _msgSender()) revert UnauthorizedSubmitter(_msgSender(), submitter);
        if (seller == buyer) revert SelfTrade(seller);
        if (trade.assetAmount == 0) revert EmptyLeg(trade.asset);
        if (trade.paymentAmount == 0) revert EmptyLeg(trade.payment);

        bytes32 digest = _hashTypedDataV4(_structHash(trade));
        _checkSignature(seller, digest, sellerSignature);
        _checkSignature(buyer, digest, buyerSignature);
        _useNonce(seller, trade.sellerNonce);
        _useNonce(buyer, trade.buyerNonce);

        IERC20(trade.asset).safeTransferFrom(seller, buyer, trade.assetAmount);
        IERC20(trade.payment).safeTransferFrom(buyer, seller, trade.paymentAmount);
        emit TradeSettled(digest, seller, buyer, trade.asset, trade.assetAmount, trade.payment, trade.paymentAmount);
    }

    /// @dev The EIP-712 struct hash: the type hash and the ten static words copied from calldata and hashed in one go
    /// (869 gas cheaper than `abi.encode`). Safe: every field is a full word, and Solidity's calldata validation
    /// reverts on an address word with dirty high bits as soon as `_settle` reads it (tested).
    function _structHash(Trade calldata trade) private pure returns (bytes32 structHash) {
        bytes32 typeHash = TRADE_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), trade, 0x140)
            structHash := keccak256(ptr, 0x160)
        }
    }

    /// @dev Flips the nonce's bit in the party's bitmap; refuses a bit already set (used or cancelled).
    function _useNonce(address party, uint256 nonce) private {
        uint256 bit = uint256(1) << (nonce & 0xff);
        uint256 flipped = (_nonceBitmap[party][nonce >> 8] ^= bit);
        if (flipped & bit == 0) revert NonceAlreadyUsed(party, nonce);
    }

    /// @dev ECDSA first (65-byte or EIP-2098 64-byte signatures), so an EOA pays no code-size lookup; ERC-1271 only
    /// when that fails and the party is a contract. Accepting both encodings of one signature is safe here: replay
    /// is refused by the nonces, never by the signature bytes.
    function _checkSignature(address party, bytes32 digest, bytes calldata signature) private view {
        address recovered;
        ECDSA.RecoverError err;
        if (signature.length == 64) {
            bytes32 r;
            bytes32 vs;
            assembly ("memory-safe") {
                r := calldataload(signature.offset)
                vs := calldataload(add(signature.offset, 0x20))
            }
            (recovered, err,) = ECDSA.tryRecover(digest, r, vs);
        } else {
            (recovered, err,) = ECDSA.tryRecoverCalldata(digest, signature);
        }
        if (err == ECDSA.RecoverError.NoError && recovered == party) return;
        if (party.code.length == 0 || !SignatureChecker.isValidERC1271SignatureNowCalldata(party, digest, signature)) {
            revert InvalidTradeSignature(party);
        }
    }

    /// @dev Applies a permit; a failing one (already used or front-run) is ignored, as OpenZeppelin recommends: the
    /// leg then needs the allowance, and fails with the token's own error when it is short.
    function _tryPermit(address token, address owner, Permit calldata permit) private {
        try IERC20Permit(token).permit(owner, address(this), permit.value, permit.deadline, permit.v, permit.r, permit.s)
        {} catch {} // solhint-disable-line no-empty-blocks
    }
}
