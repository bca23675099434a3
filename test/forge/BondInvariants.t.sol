// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {InvestorRegistry} from "../../contracts/compliance/InvestorRegistry.sol";
import {RWATokenAdmin} from "../../contracts/token/RWATokenAdmin.sol";
import {HKDStablecoin} from "../../contracts/stablecoin/HKDStablecoin.sol";
import {BondToken} from "../../contracts/assets/bond/BondToken.sol";
import {BondPayingAgent} from "../../contracts/assets/bond/BondPayingAgent.sol";
import {IInvestorRegistry} from "../../contracts/interfaces/IInvestorRegistry.sol";

/// @notice Drives a 4.5 % semi-annual 1,000 HKD bond over its life: mints, transfers, the clock over the record
/// dates and maturity, an early call (with the 30-day notice, or too short a notice), coupon and principal funding,
/// claims, pushes and redemption. The ghost ledger computes what every holder is owed at each record (only records
/// up to the call date once the bond is called), independently of the token's accrual.
contract BondHandler is Base {
    InvestorRegistry public immutable registry;
    HKDStablecoin public immutable cash;
    BondToken public immutable bond;
    BondPayingAgent public immutable agent;
    address public constant TREASURY = address(0x7EA5);
    uint256 public constant CPT = 22_500_000; // 1,000e6 x 450 bps / 10,000 / 2
    uint256 public constant NOTICE = 30 days;
    uint8 internal constant MATURED = 64;
    uint8 internal constant CALLED = 65;
    address[3] public holders = [address(0xB001), address(0xB002), address(0xB003)];

    uint64[] internal _dates;
    uint256 public recordedGhost; // coupon records the ghost ledger has counted
    mapping(address => uint256) public owedGhost;
    mapping(address => uint256) public paidGhost;
    uint256 public maturity;
    bool public calledGhost;
    uint256 public callDateGhost;
    uint256 public callPriceGhost;
    string public violation;

    constructor() {
        registry = new InvestorRegistry(address(this));
        registry.grantRole(registry.REGISTRAR_ROLE(), address(this));
        cash = new HKDStablecoin(address(this));
        cash.grantRole(cash.ISSUER_ROLE(), address(this));
        uint256 t0 = block.timestamp;
        for (uint256 i = 1; i <= 4; ++i) _dates.push(uint64(t0 + i * 182 days));
        maturity = t0 + 4 * 182 days;
        uint256[7] memory terms = [uint256(1_000e6), 450, 2, t0, maturity, NOTICE, uint256(uint24(bytes3("HKD")))];
        bond = new BondToken(
            "Bond", "BND", 18, IInvestorRegistry(address(registry)), address(this), TREASURY,
            address(new RWATokenAdmin()), bytes12("US0378331005"), address(cash), terms, _dates
        );
        agent = BondPayingAgent(bond.payingAgent());
        bond.grantRole(bond.ISSUER_ROLE(), address(this));
        bond.grantRole(bond.CALLER_ROLE(), address(this));
        agent.grantRole(agent.FUNDER_ROLE(), address(this));
        agent.grantRole(agent.PAYER_ROLE(), address(this));
        cash.mint(address(this), 1e30);
        cash.approve(address(agent), type(uint256).max);
        for (uint256 i; i < 3; ++i) {
            registry.registerInvestor(bytes32(i + 1), holders[i], 344, 2, uint64(t0 + 3650 days), false);
        }
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }

    /// @dev The asset code every transfer and mint must meet now: 64 from maturity, 65 from the call date, else 0.
    function _stopCode() internal view returns (uint8) {
        if (block.timestamp >= maturity) return MATURED;
        if (calledGhost && block.timestamp >= callDateGhost) return CALLED;
        return 0;
    }

    /// @dev A transfer or mint succeeds exactly when its code is 0, and after maturity or the call date its code is
    /// 64 or 65 (the holders stay verified and unfrozen, so no core code comes first).
    function _judgeStop(string memory op, uint8 code, bool ok) internal {
        uint8 stop = _stopCode();
        if (stop != 0 && code != stop) _fail(string.concat(op, ": not refused with 64 / 65 after maturity or the call date"));
        if (stop == 0 && (code == MATURED || code == CALLED)) _fail(string.concat(op, ": refused with 64 / 65 before it applies"));
        if (ok != (code == 0)) _fail(string.concat(op, ": the outcome disagrees with detectTransferRestriction"));
    }

    function mint(uint256 seed, uint256 amount) external {
        address to = holders[seed % 3];
        amount = bound(amount, 1, 1_000e18);
        uint8 code = bond.detectTransferRestriction(address(0), to, amount);
        bool ok;
        try bond.mint(to, amount) { ok = true; } catch {}
        _judgeStop("mint", code, ok);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = holders[fromSeed % 3];
        address to = holders[toSeed % 3];
        amount = bound(amount, 0, bond.balanceOf(from));
        uint8 code = bond.detectTransferRestriction(from, to, amount);
        bool ok;
        vm.prank(from);
        try bond.transfer(to, amount) returns (bool r) { ok = r; } catch {}
        _judgeStop("transfer", code, ok);
    }

    /// @dev The issuer calls the bond early in one call of eight (about nine calls of each action per run, so roughly
    /// (7/8)^9, a third, of the runs reach maturity uncalled), with the full notice or, in another one of eight, too
    /// short a notice. Accepted exactly when not yet called and the call
    /// date is at least the notice away and before maturity.
    function callBond(uint256 mode, uint256 notice, uint256 price) external {
        mode %= 8;
        if (mode > 1) return;
        uint256 callDate = block.timestamp + (mode == 0 ? bound(notice, NOTICE, 200 days) : bound(notice, 0, NOTICE - 1));
        price = bound(price, 900e6, 1_100e6);
        bool expected = !calledGhost && callDate < maturity && mode == 0;
        bool ok;
        try bond.callBond(uint64(callDate), price) { ok = true; } catch {}
        if (ok != expected) _fail(ok ? "callBond: accepted a call it must refuse" : "callBond: refused a valid call");
        if (!ok) return;
        (calledGhost, callDateGhost, callPriceGhost) = (true, callDate, price);
        (bool called, uint256 date, uint256 p) = bond.callTerms();
        if (!called || date != callDate || p != price) _fail("callBond: callTerms differ from the call");
    }

    /// @dev Moves the clock; every record date it passes pays each holder floor(balance x CPT / 1e18) then. Once the
    /// bond is called, coupons dated after the call date never record.
    function warp(uint256 by) external {
        uint256 to = block.timestamp + bound(by, 1 days, 150 days);
        uint256 cutoff = calledGhost && callDateGhost < to ? callDateGhost : to;
        while (recordedGhost < _dates.length && _dates[recordedGhost] <= cutoff) {
            for (uint256 i; i < 3; ++i) owedGhost[holders[i]] += bond.balanceOf(holders[i]) * CPT / 1e18;
            recordedGhost++;
        }
        vm.warp(to);
    }

    function fundCoupon() external {
        uint256 index = agent.fundedCoupons();
        try agent.fundCoupon(index) {
            if (calledGhost && _dates[index] > callDateGhost) _fail("fundCoupon: funded a coupon the call cancelled");
            if (index >= recordedGhost) _fail("fundCoupon: funded a coupon not yet recorded");
        } catch {}
    }

    /// @dev Principal is funded only once redeemable: from the call date once called, else from maturity.
    function fundPrincipal() external {
        try agent.fundPrincipal() {
            if (block.timestamp < (calledGhost ? callDateGhost : maturity)) _fail("fundPrincipal: funded before redeemable");
            if (agent.principalReserve() < agent.principalNeeded()) _fail("fundPrincipal: the reserve is short");
        } catch {}
    }

    function claim(uint256 seed) external {
        address h = holders[seed % 3];
        uint256 before = cash.balanceOf(h);
        vm.prank(h);
        try agent.claim() returns (uint256 amount) {
            if (cash.balanceOf(h) - before != amount) _fail("claim: paid a different amount than reported");
            paidGhost[h] += amount;
        } catch {}
    }

    function payCoupons() external {
        uint256[3] memory before;
        for (uint256 i; i < 3; ++i) before[i] = cash.balanceOf(holders[i]);
        address[] memory list = new address[](3);
        for (uint256 i; i < 3; ++i) list[i] = holders[i];
        try agent.payCoupons(list) {
            for (uint256 i; i < 3; ++i) paidGhost[holders[i]] += cash.balanceOf(holders[i]) - before[i];
        } catch {}
    }

    function redeem(uint256 seed) external {
        address h = holders[seed % 3];
        uint256 coupons = bond.pendingCoupons(h, 64);
        uint256 balance = bond.balanceOf(h);
        uint256 before = cash.balanceOf(h);
        vm.prank(h);
        try agent.redeem() returns (uint256 amount) {
            paidGhost[h] += coupons;
            if (cash.balanceOf(h) - before != amount) _fail("redeem: paid a different amount than reported");
            uint256 price = calledGhost ? callPriceGhost : 1_000e6; // the call price once called
            if (amount != coupons + balance * price / 1e18) _fail("redeem: principal + coupons paid inexactly");
            if (bond.balanceOf(h) != 0 || bond.pendingCoupons(h, 64) != 0 || agent.claimable(h) != 0) {
                _fail("redeem: a redeemed holder still holds bonds or claimable coupons");
            }
        } catch {}
    }
}

/// @notice Bond: coupons paid plus claimable equal what was owed at each record, to the wei.
contract BondInvariants is Base {
    BondHandler internal handler;

    function setUp() public {
        handler = new BondHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: a recorded, funded coupon is claimed once, exactly. A second holder's coupon
    /// stays in the agent, so a second payment to the first holder would find the cash (and be seen).
    function test_aCouponIsPaidOnce() public {
        handler.mint(0, 100e18);
        handler.mint(1, 100e18);
        handler.warp(183 days - 1 days); // the handler bounds each warp; three of them pass the first record
        handler.warp(150 days - 1 days);
        handler.warp(5 days - 1 days);
        handler.fundCoupon();
        handler.claim(0);
        handler.claim(0);
        address h = handler.holders(0);
        assertEq(handler.paidGhost(h), 100 * handler.CPT(), "the first coupon was not paid exactly once");
        assertEq(handler.cash().balanceOf(h), 100 * handler.CPT(), "the holder was paid other than one coupon");
        assertEq(handler.cash().balanceOf(address(handler.agent())), 100 * handler.CPT(), "the other holder's coupon left");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The early call: from the call date transfers and mints stop with code 65, the coupon dated after it is
    /// never recorded nor funded, and the redemption pays the call price plus the pending coupons.
    function test_anEarlyCallRedeemsAtTheCallPrice() public {
        address h = handler.holders(0);
        handler.mint(0, 100e18 - 1); // bound(x, 1, 1_000e18) maps it onto 100e18
        handler.callBond(1, 0, 0); // too short a notice (now + 0): refused
        assertTrue(!handler.calledGhost(), "a call without notice was accepted");
        handler.callBond(0, 160 days, 110e6); // call date now + 190 days (after the first record), price 1,010 HKD
        assertTrue(handler.calledGhost(), "the call was refused");
        handler.warp(150 days - 1 days); // bound(x, 1 days, 150 days): 150 days
        handler.warp(40 days - 1 days); // 40 days: exactly the call date
        handler.transfer(0, 1, 10e18); // refused with 65 (the handler checks the code)
        handler.mint(1, 10e18);
        BondToken bond = handler.bond();
        assertEq(bond.balanceOf(h), 100e18, "a transfer after the call date moved bonds");
        assertEq(bond.totalSupply(), 100e18, "a mint after the call date went through");
        assertEq(bond.detectTransferRestriction(h, handler.holders(1), 1), 65, "transfer code after the call date");
        handler.fundCoupon(); // the coupon recorded before the call date
        handler.fundCoupon(); // the next is dated after it: refused
        assertEq(handler.agent().fundedCoupons(), 1, "a coupon dated after the call date was funded");
        handler.fundPrincipal();
        handler.redeem(0);
        assertEq(handler.cash().balanceOf(h), 100 * handler.CPT() + 100 * 1_010e6, "redemption != call price + coupon");
        assertEq(bond.balanceOf(h), 0, "the redeemed holder still holds bonds");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    function invariant_noBrokenPromise() public view {
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev Per holder, so a coupon paid twice (or to the wrong holder) shows at once.
    function invariant_paidPlusPendingIsOwed() public view {
        BondToken bond = handler.bond();
        for (uint256 i; i < 3; ++i) {
            address h = handler.holders(i);
            assertEq(handler.paidGhost(h) + bond.pendingCoupons(h, 64), handler.owedGhost(h),
                "coupons paid + pending != owed at the records");
        }
    }

    function invariant_agentHoldsWhatIsClaimable() public view {
        BondPayingAgent agent = handler.agent();
        uint256 claimable;
        for (uint256 i; i < 3; ++i) claimable += agent.claimable(handler.holders(i));
        assertLe(claimable, handler.cash().balanceOf(address(agent)), "agent holds less than the claimable coupons");
    }

    function invariant_balancesSumToTotalSupply() public view {
        BondToken bond = handler.bond();
        uint256 sum = bond.balanceOf(handler.TREASURY());
        for (uint256 i; i < 3; ++i) sum += bond.balanceOf(handler.holders(i));
        assertEq(sum, bond.totalSupply(), "sum of balances != totalSupply");
    }
}
