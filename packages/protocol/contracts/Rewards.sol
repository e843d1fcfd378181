// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BLS} from "./BLS.sol";
import {Challenges} from "./Challenges.sol";
import {IERC20} from "./IERC20.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";
import {Staking} from "./Staking.sol";

/// @title Rewards — era reports made final by a BLS quorum of slarks, then paid from a pool.
/// @notice An era is `eraSlots` challenge slots. Every slark computes the era's report off chain
/// (the TypeScript `computeEra`, `encodeEraReport`); once the era is over, a strict majority of
/// the roster of one of its opened slots signs keccak256 of the encoded report with BLS, and
/// anyone submits report, slot, signer bitmap and aggregate here. Eras settle in order from 0.
/// Settling slashes own stakes into the pool, pays liquid rewards from it, delegates slarks'
/// auto-staked share in their names, and sets tiers in the registry (as its tier authority).
contract Rewards {
    /// Domain of the signed report; see eraMessage.
    string public constant ERA_DOMAIN = "dcn/era-report/1";

    struct Payment { address account; uint256 amount; }
    struct TierSet { address account; uint8 tier; }
    struct SlarkDelegation { address slark; address provider; uint256 amount; }
    /// The TypeScript ERA_REPORT_ABI; `report` bytes are exactly abi.encode of one.
    struct EraReport {
        uint64 era;
        Payment[] rewards;
        Payment[] slashes;
        TierSet[] tiers;
        TierSet[] slarkTiers;
        SlarkDelegation[] delegations;
        bytes32 historyHash;
    }

    struct Era {
        bytes32 reportHash;
        /// Commits to every node's carried history: the next era's input is checked against it.
        bytes32 historyHash;
        uint64 settledAt;
    }

    IERC20 public immutable spon;
    Staking public immutable staking;
    ProviderRegistry public immutable registry;
    Challenges public immutable challenges;
    uint256 public immutable eraSlots;

    /// One slot for both: every settlement writes them together. SPON held == pool (the
    /// invariant), unless someone transfers SPON here without fund().
    uint128 private pool_;
    uint64 public nextEra;
    mapping(uint256 => Era) private eras;

    event Funded(address indexed from, uint256 amount);
    event EraSettled(uint64 indexed era, bytes32 reportHash, uint256 signers);

    /// SPON and the registry are the ones Staking and Challenges use, so they cannot disagree.
    constructor(Staking staking_, Challenges challenges_, uint256 eraSlots_) {
        require(eraSlots_ > 0, "Rewards: eraSlots must be positive");
        staking = staking_;
        challenges = challenges_;
        spon = staking_.spon();
        registry = challenges_.registry();
        eraSlots = eraSlots_;
        // Token skips the allowance update for the maximum: no approve per delegation.
        require(spon.approve(address(staking_), type(uint256).max), "Rewards: approve failed");
    }

    function pool() external view returns (uint256) { return pool_; }

    function eraOf(uint256 era) external view returns (Era memory) { return eras[era]; }

    /// @notice Adds `amount` SPON from the caller to the pool (it needs the allowance).
    function fund(uint256 amount) external {
        require(amount > 0, "Rewards: nothing to fund");
        require(uint256(pool_) + amount <= type(uint128).max, "Rewards: the pool would overflow");
        require(spon.transferFrom(msg.sender, address(this), amount), "Rewards: transfer failed");
        pool_ += uint128(amount);
        emit Funded(msg.sender, amount);
    }

    /// @notice What the slarks sign (hashed to G2 with the BLS message DST).
    function eraMessage(bytes32 reportHash) public view returns (bytes32) {
        return keccak256(abi.encode(ERA_DOMAIN, block.chainid, address(this), reportHash));
    }

    /// @notice The report `report` encodes; reverts unless it is exactly abi.encode(EraReport),
    /// so the recorded hash is the one every slark computes (eraReportHash).
    function decodeReport(bytes calldata report) external pure returns (EraReport memory r) {
        r = abi.decode(report, (EraReport));
        require(keccak256(abi.encode(r)) == keccak256(report), "Rewards: the report is not in its canonical encoding, abi.encode(EraReport)");
    }

    /// @notice Settles the next era: `signers` (bit i = member i of rosterOf(committeeSlot)) is a
    /// strict majority of the roster of a slot in that era, and `signature` (a 256-byte EIP-2537
    /// G2 point) their aggregate of eraMessage(keccak256(report)).
    function submitEra(bytes calldata report, uint256 committeeSlot, uint256 signers, bytes calldata signature) external {
        EraReport memory r = _decode(report);
        _checkEra(r.era, committeeSlot);
        bytes32 reportHash = keccak256(report);
        _checkQuorum(reportHash, committeeSlot, signers, signature);

        nextEra = r.era + 1;
        eras[r.era] = Era(reportHash, r.historyHash, uint64(block.timestamp));
        uint256 held = pool_;
        for (uint256 i = 0; i < r.slashes.length; i++) held += staking.slash(r.slashes[i].account, r.slashes[i].amount, address(this));
        uint256 pays;
        for (uint256 i = 0; i < r.rewards.length; i++) pays += r.rewards[i].amount;
        for (uint256 i = 0; i < r.delegations.length; i++) pays += r.delegations[i].amount;
        if (held < pays) revert(string.concat("Rewards: the pool holds ", _dec(held), ", the report pays ", _dec(pays)));
        pool_ = uint128(held - pays);
        for (uint256 i = 0; i < r.rewards.length; i++) {
            require(spon.transfer(r.rewards[i].account, r.rewards[i].amount), "Rewards: transfer failed");
        }
        for (uint256 i = 0; i < r.delegations.length; i++) {
            staking.delegateFor(r.delegations[i].slark, r.delegations[i].provider, r.delegations[i].amount);
        }
        for (uint256 i = 0; i < r.tiers.length; i++) registry.setTier(r.tiers[i].account, r.tiers[i].tier);
        for (uint256 i = 0; i < r.slarkTiers.length; i++) registry.setTier(r.slarkTiers[i].account, r.slarkTiers[i].tier);
        emit EraSettled(r.era, reportHash, signers);
    }

    /// decodeReport through a call, so malformed bytes revert with a reason rather than none.
    function _decode(bytes calldata report) private view returns (EraReport memory) {
        try this.decodeReport(report) returns (EraReport memory r) {
            return r;
        } catch Error(string memory reason) {
            revert(reason);
        } catch {
            revert("Rewards: the report does not decode as abi.encode(EraReport)");
        }
    }

    /// The next era, over, and the committee slot inside it. (`if … revert` rather than
    /// require: require builds its message even when the check passes.)
    function _checkEra(uint64 era, uint256 committeeSlot) private view {
        uint64 next = nextEra;
        if (era < next) revert(string.concat("Rewards: era ", _dec(era), " is already settled"));
        if (era > next) revert(string.concat("Rewards: era ", _dec(era), " is out of order; era ", _dec(next), " settles first"));
        uint256 first = uint256(era) * eraSlots;
        uint256 end = first + eraSlots;
        uint256 now_ = challenges.currentSlot();
        if (now_ < end) revert(string.concat("Rewards: era ", _dec(era), " is not over until slot ", _dec(end), " (now slot ", _dec(now_), ")"));
        if (committeeSlot < first || committeeSlot >= end) revert(string.concat("Rewards: committee slot ", _dec(committeeSlot),
            " is outside era ", _dec(era), " (slots ", _dec(first), " to ", _dec(end - 1), ")"));
    }

    /// As Challenges.submitResult: the signers' keys from the registry, summed, verify the
    /// aggregate. The bitmap covers the first 256 roster members, so a roster of more than 511
    /// slarks can reach no majority.
    function _checkQuorum(bytes32 reportHash, uint256 committeeSlot, uint256 signers, bytes calldata signature) private view {
        require(signature.length == 256, "Rewards: the signature must be a 256-byte EIP-2537 G2 point");
        Challenges.Member[] memory roster;
        try challenges.rosterOf(committeeSlot) returns (Challenges.Member[] memory members) {
            roster = members;
        } catch {
            revert(string.concat("Rewards: committee slot ", _dec(committeeSlot), " was never opened"));
        }
        // Shifts of 256 or more give 0: bits past 255 are never set.
        require(signers >> roster.length == 0, "Rewards: signer bits beyond the roster");
        address[] memory signing = new address[](roster.length);
        uint256 n;
        for (uint256 i = 0; i < roster.length; i++) if (signers & (1 << i) != 0) signing[n++] = roster[i].slark;
        if (n * 2 <= roster.length) revert(string.concat("Rewards: ", _dec(n), " of the roster's ", _dec(roster.length),
            " slarks signed; a strict majority must"));
        assembly ("memory-safe") { mstore(signing, n) }
        bytes memory keys = registry.blsKeysG1Of(signing);
        require(BLS.verify(BLS.g1Sum(keys, n), abi.encodePacked(eraMessage(reportHash)), signature),
            "Rewards: invalid aggregate signature of the era report");
    }

    function _dec(uint256 v) private pure returns (string memory) {
        uint256 digits = 1;
        for (uint256 x = v; x >= 10; x /= 10) digits++;
        bytes memory s = new bytes(digits);
        for (uint256 i = digits; i > 0; i--) {
            s[i - 1] = bytes1(uint8(48 + v % 10));
            v /= 10;
        }
        return string(s);
    }
}
