// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWAToken} from "../../contracts/token/RWAToken.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {HKDStablecoin} from "../../contracts/stablecoin/HKDStablecoin.sol";
import {DvPSettlement} from "../../contracts/settlement/DvPSettlement.sol";
import {IDvPSettlement} from "../../contracts/interfaces/IDvPSettlement.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @notice Signs and submits random trades (amounts beyond balances, reused nonces, expired trades, wrong
/// submitters, frozen or unverified parties, a paused stablecoin) and records what each settlement moved.
contract DvPHandler is Base {
    InvestorRegistry public immutable registry;
    RWAToken public immutable asset;
    HKDStablecoin public immutable cash;
    DvPSettlement public immutable dvp;
    uint256[4] internal _keys = [uint256(0xA11CE), 0xB0B, 0xCA401, 0xD0D0];
    address[4] public parties;

    mapping(address => mapping(uint256 => bool)) public ghostNonceUsed;
    string public violation;
    uint256 public settled;

    constructor() {
        registry = new InvestorRegistry(address(this));
        registry.grantRole(registry.REGISTRAR_ROLE(), address(this));
        asset = new RWAToken(
            "Asset", "AST", 18, IInvestorRegistry(address(registry)), address(this), address(0x7EA5),
            address(new RWATokenAdmin())
        );
        asset.grantRole(asset.ISSUER_ROLE(), address(this));
        asset.grantRole(asset.AGENT_ROLE(), address(this));
        cash = new HKDStablecoin(address(this));
        cash.grantRole(cash.ISSUER_ROLE(), address(this));
        cash.grantRole(cash.PAUSER_ROLE(), address(this));
        dvp = new DvPSettlement(address(this));
        for (uint256 i; i < 4; ++i) {
            address p = vm.addr(_keys[i]);
            parties[i] = p;
            // party 3 is never registered: it can pay, but cannot receive the asset
            if (i < 3) registry.registerInvestor(bytes32(i + 1), p, 344, 2, uint64(block.timestamp + 3650 days), false);
            if (i < 3) asset.mint(p, 1_000e18);
            cash.mint(p, 1_000_000e6);
            vm.startPrank(p);
            asset.approve(address(dvp), type(uint256).max);
            cash.approve(address(dvp), type(uint256).max);
            vm.stopPrank();
        }
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }

    function settle(uint256 s, uint256 b, uint256 assetAmount, uint256 payAmount, uint256 nonces, bool expired, bool badSig)
        external
    {
        IDvPSettlement.Trade memory t;
        uint256 si = s % 4;
        uint256 bi = b % 4;
        t.seller = parties[si];
        t.buyer = parties[bi];
        t.asset = address(asset);
        t.assetAmount = bound(assetAmount, 0, asset.balanceOf(t.seller) + 10e18);
        t.payment = address(cash);
        t.paymentAmount = bound(payAmount, 0, cash.balanceOf(t.buyer) + 10e6);
        t.sellerNonce = nonces % 8; // a small space, so nonces collide
        t.buyerNonce = (nonces >> 8) % 8;
        t.expiry = expired ? block.timestamp - 1 : block.timestamp + 1 hours;
        bytes32 digest = dvp.hashTrade(t);
        bytes memory sigS = _sign(_keys[si], digest);
        bytes memory sigB = _sign(badSig ? _keys[(bi + 1) % 4] : _keys[bi], digest);

        uint256[4] memory before =
            [asset.balanceOf(t.seller), asset.balanceOf(t.buyer), cash.balanceOf(t.seller), cash.balanceOf(t.buyer)];
        bool sellerUsed = ghostNonceUsed[t.seller][t.sellerNonce];
        bool buyerUsed = ghostNonceUsed[t.buyer][t.buyerNonce];
        try dvp.settle(t, sigS, sigB) {
            settled++;
            if (sellerUsed || buyerUsed) _fail("settle: a used nonce settled again");
            ghostNonceUsed[t.seller][t.sellerNonce] = true;
            ghostNonceUsed[t.buyer][t.buyerNonce] = true;
            if (asset.balanceOf(t.seller) != before[0] - t.assetAmount || asset.balanceOf(t.buyer) != before[1] + t.assetAmount
                || cash.balanceOf(t.seller) != before[2] + t.paymentAmount || cash.balanceOf(t.buyer) != before[3] - t.paymentAmount)
            {
                _fail("settle: the legs did not both move by their amounts");
            }
        } catch {
            if (asset.balanceOf(t.seller) != before[0] || asset.balanceOf(t.buyer) != before[1]
                || cash.balanceOf(t.seller) != before[2] || cash.balanceOf(t.buyer) != before[3])
            {
                _fail("settle: a refused trade moved a leg");
            }
        }
        if (!dvp.isNonceUsed(t.seller, t.sellerNonce) && ghostNonceUsed[t.seller][t.sellerNonce]) {
            _fail("settle: a used nonce became unused");
        }
    }

    function cancel(uint256 p, uint256 nonce) external {
        address party = parties[p % 4];
        nonce %= 8;
        vm.prank(party);
        try dvp.cancel(nonce) {
            if (ghostNonceUsed[party][nonce]) _fail("cancel: a used nonce was cancelled again");
            ghostNonceUsed[party][nonce] = true;
        } catch {}
    }

    function freeze(uint256 p, bool frozen) external {
        asset.setAddressFrozen(parties[p % 4], frozen);
    }

    function pauseCash(bool on) external {
        if (on != cash.paused()) on ? cash.pause() : cash.unpause();
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}

/// @notice DvP: both legs or neither; a nonce settles or cancels once.
contract DvPInvariants is Base {
    DvPHandler internal handler;

    function setUp() public {
        handler = new DvPHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: a well-formed trade settles, and its nonces then refuse a second one.
    function test_aSignedTradeSettlesOnce() public {
        handler.settle(0, 1, 10e18, 100e6, 0x0302, false, false);
        assertEq(handler.settled(), 1, "the trade did not settle");
        handler.settle(0, 1, 10e18, 100e6, 0x0302, false, false);
        assertEq(handler.settled(), 1, "the nonces settled twice");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev Value is conserved: the supplies never change, whatever settles.
    function invariant_suppliesUnchanged() public view {
        assertEq(handler.asset().totalSupply(), 3_000e18, "asset supply changed");
        assertEq(handler.cash().totalSupply(), 4_000_000e6, "cash supply changed");
    }

    function invariant_ghostNoncesAreUsedOnChain() public view {
        for (uint256 i; i < 4; ++i) {
            address p = handler.parties(i);
            for (uint256 n; n < 8; ++n) {
                if (handler.ghostNonceUsed(p, n)) assertTrue(handler.dvp().isNonceUsed(p, n), "a used nonce reads unused");
            }
        }
    }
}
