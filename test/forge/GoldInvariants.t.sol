// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {GoldToken} from "../../contracts/assets/gold/GoldToken.sol";
import {GoldCustodian} from "../../contracts/assets/gold/GoldCustodian.sol";
import {IGoldCustodian} from "../../contracts/interfaces/IGoldCustodian.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @notice Drives a GoldToken and its custodian: bars in and out, attestations, mints, transfers, the
/// redemption desk (request, fulfil with bars, reject) and the clock (attestation staleness).
contract GoldHandler is Base {
    InvestorRegistry public immutable registry;
    GoldToken public immutable token;
    GoldCustodian public immutable custodian;
    address[3] public holders = [address(0xA001), address(0xA002), address(0xA003)];

    bytes32[] internal _bars; // listed serials
    uint256 internal _nextSerial = 1;
    uint256[] internal _pendingIds;
    string public violation;

    constructor() {
        registry = new InvestorRegistry(address(this));
        registry.grantRole(registry.REGISTRAR_ROLE(), address(this));
        RWATokenAdmin admin = new RWATokenAdmin();
        // The custodian names the token and the token checks it back: deploy the custodian at the token's
        // predicted address's partner (the next CREATE after it).
        uint64 nonce = vm.getNonce(address(this));
        address tokenAt = vm.computeCreateAddress(address(this), nonce + 1);
        custodian = new GoldCustodian(address(this), tokenAt);
        token = new GoldToken(
            "Gold", "XAU", 18, IInvestorRegistry(address(registry)), address(this), address(custodian), address(admin),
            IGoldCustodian(address(custodian))
        );
        token.grantRole(token.ISSUER_ROLE(), address(this));
        token.grantRole(token.ISSUER_ROLE(), address(custodian));
        custodian.grantRole(custodian.CUSTODIAN_ROLE(), address(this));
        custodian.grantRole(custodian.AUDITOR_ROLE(), address(this));
        custodian.setMaxAttestationAge(7 days);
        for (uint256 i; i < 3; ++i) {
            registry.registerInvestor(bytes32(i + 1), holders[i], 344, 2, uint64(block.timestamp + 3650 days), false);
        }
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }

    function addBar(uint256 grossMilli, uint256 fineness) external {
        IGoldCustodian.BarInput[] memory bars = new IGoldCustodian.BarInput[](1);
        bytes32 serial = bytes32(_nextSerial++);
        bars[0] = IGoldCustodian.BarInput(serial, "refiner", "vault", uint32(bound(grossMilli, 1, 450_000)),
            uint16(bound(fineness, 9_950, 10_000)));
        custodian.addBars(bars);
        _bars.push(serial);
    }

    function removeBar(uint256 seed) external {
        if (_bars.length == 0) return;
        uint256 i = seed % _bars.length;
        bytes32[] memory serials = new bytes32[](1);
        serials[0] = _bars[i];
        try custodian.removeBars(serials) {
            _bars[i] = _bars[_bars.length - 1];
            _bars.pop();
        } catch {}
    }

    function attest(uint256 ounces) external {
        custodian.attest("report", "ipfs://report", bound(ounces, 0, 1e24), uint64(block.timestamp));
    }

    function mint(uint256 seed, uint256 amount) external {
        (uint256 reserve_, bool attested) = custodian.mintReserve();
        uint256 supply = token.totalSupply();
        amount = bound(amount, 1, reserve_ - supply + 2e18);
        try token.mint(holders[seed % 3], amount) {
            if (!attested) _fail("mint: minted on a stale attestation");
            if (supply + amount > reserve_) _fail("mint: minted beyond the fine weight in custody");
        } catch {}
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = holders[fromSeed % 3];
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        try token.transfer(holders[toSeed % 3], amount) {} catch {}
    }

    function requestRedemption(uint256 seed, uint256 amount) external {
        address holder = holders[seed % 3];
        amount = bound(amount, 1, token.balanceOf(holder) + 1);
        vm.startPrank(holder);
        token.approve(address(custodian), amount);
        try custodian.requestRedemption(amount) returns (uint256 id) {
            _pendingIds.push(id);
        } catch {}
        vm.stopPrank();
    }

    /// @dev Fulfils a pending request with the fewest bars from the front of the list that cover it.
    function fulfil(uint256 seed) external {
        if (_pendingIds.length == 0 || _bars.length == 0) return;
        uint256 k = seed % _pendingIds.length;
        uint256 amount = custodian.redemption(_pendingIds[k]).amount;
        uint256 released;
        uint256 n;
        while (n < _bars.length && released < amount) {
            IGoldCustodian.Bar memory b = custodian.bar(_bars[n]);
            released += uint256(b.grossMilli) * b.fineness * 1e11;
            n++;
        }
        bytes32[] memory serials = new bytes32[](n);
        for (uint256 i; i < n; ++i) serials[i] = _bars[i];
        try custodian.fulfil(_pendingIds[k], serials) {
            for (uint256 i = n; i < _bars.length; ++i) _bars[i - n] = _bars[i]; // drop the first n
            for (uint256 i; i < n; ++i) _bars.pop();
            _dropPending(k);
        } catch {}
    }

    function reject(uint256 seed) external {
        if (_pendingIds.length == 0) return;
        uint256 k = seed % _pendingIds.length;
        try custodian.reject(_pendingIds[k], "no bars") {
            _dropPending(k);
        } catch {}
    }

    function _dropPending(uint256 k) internal {
        _pendingIds[k] = _pendingIds[_pendingIds.length - 1];
        _pendingIds.pop();
    }

    /// @dev Moves the clock past, or within, the attestation's maximum age.
    function warp(uint256 by) external {
        vm.warp(block.timestamp + bound(by, 1, 10 days));
    }
}

/// @notice Gold: the supply never exceeds the fine weight in custody; the escrow is exactly the desk's balance.
contract GoldInvariants is Base {
    GoldHandler internal handler;

    function setUp() public {
        handler = new GoldHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    function invariant_supplyWithinFineWeightInCustody() public view {
        assertLe(handler.token().totalSupply(), handler.custodian().reserve(), "gold supply > fine weight in custody");
    }

    function invariant_escrowIsTheDesksBalance() public view {
        GoldCustodian c = handler.custodian();
        assertEq(handler.token().balanceOf(address(c)), c.escrowed(), "custodian balance != escrowed");
    }

    function invariant_balancesSumToTotalSupply() public view {
        GoldToken token = handler.token();
        uint256 sum = token.balanceOf(address(handler.custodian()));
        for (uint256 i; i < 3; ++i) sum += token.balanceOf(handler.holders(i));
        assertEq(sum, token.totalSupply(), "sum of balances != totalSupply");
    }
}
