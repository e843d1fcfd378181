// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BLS} from "./BLS.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title Challenges — slot randomness, challenge commitments and BLS-verified committee results.
/// @notice Time runs in slots of `slotSeconds` from `genesis`, 24 slots an epoch. Anyone opens
/// the current slot once: that fixes its seed and a snapshot of the eligible slarks. Each
/// provider's committee for a slot is a draw from that snapshot (seed, provider address, tiers
/// allowing; `committeeOf`, mirrored by the TypeScript `committeeOf`). A committee member
/// commits to a challenge (puzzle and spec hashes) during the slot; a strict majority of the
/// committee then signs the verdict with BLS and anyone submits the aggregate with a signer
/// bitmap over the committee, which is verified here with the EIP-2537 precompiles.
contract Challenges {
    uint256 public constant EPOCH_SLOTS = 24;
    /// Domain of the signed verdict; see resultMessage.
    string public constant RESULT_DOMAIN = "dcn/challenge-result/1";

    struct Member {
        address slark;
        uint8 tier;
    }

    struct Slot {
        bool opened;
        uint32 roster;
        bytes32 seed;
    }

    struct Challenge {
        address committer;
        /// The provider's tier when committed: the committee stays the same until the result.
        uint8 providerTier;
        uint64 committedAt;
        bytes32 puzzleHash;
        bytes32 specHash;
        bool resulted;
        bool passed;
        bytes32 answerHash;
        uint256 signers;
    }

    /// Per slark: seats held on committees whose result landed, and signatures it gave to them.
    struct Votes {
        uint64 seated;
        uint64 inMajority;
    }

    ProviderRegistry public immutable registry;
    uint256 public immutable genesis;
    uint256 public immutable slotSeconds;
    uint256 public immutable committeeSize;

    /// Snapshots of the eligible slarks; a new one is taken only when the registry's changed.
    Member[][] private rosters;
    uint64 private rosterVersion;
    bytes32 public lastSeed;
    mapping(uint256 => Slot) private slots;
    mapping(uint256 => mapping(address => Challenge)) private challenges;
    mapping(address => Votes) public votesOf;

    event SlotOpened(uint256 indexed slot, bytes32 seed);
    event ChallengeCommitted(uint256 indexed slot, address indexed provider, address committer, bytes32 puzzleHash, bytes32 specHash);
    event ChallengeResult(uint256 indexed slot, address indexed provider, bool passed, bytes32 answerHash, uint256 signers);

    /// @param genesis_ start of slot 0 (0: this block's timestamp)
    /// @param committeeSize_ 2N+1 slarks per provider and slot, at most 255 (signer bitmaps are a uint256)
    constructor(ProviderRegistry registry_, uint256 genesis_, uint256 slotSeconds_, uint256 committeeSize_) {
        require(slotSeconds_ > 0, "Challenges: slotSeconds must be positive");
        require(committeeSize_ % 2 == 1 && committeeSize_ <= 255, "Challenges: the committee size is odd (2N+1) and at most 255");
        registry = registry_;
        genesis = genesis_ == 0 ? block.timestamp : genesis_;
        slotSeconds = slotSeconds_;
        committeeSize = committeeSize_;
    }

    function currentSlot() public view returns (uint256) {
        require(block.timestamp >= genesis, "Challenges: before genesis");
        return (block.timestamp - genesis) / slotSeconds;
    }

    function epochOf(uint256 slot) external pure returns (uint256) { return slot / EPOCH_SLOTS; }

    function slotOf(uint256 slot) external view returns (Slot memory) { return slots[slot]; }

    function challengeOf(uint256 slot, address provider) external view returns (Challenge memory) { return challenges[slot][provider]; }

    /// @notice The slarks (and tiers) a slot's committees are drawn from, in snapshot order.
    function rosterOf(uint256 slot) external view returns (Member[] memory) {
        require(slots[slot].opened, "Challenges: slot not opened");
        return rosters[slots[slot].roster];
    }

    /// @notice Opens the current slot: its seed and the snapshot of eligible slarks.
    function openSlot() external returns (uint256 slot, bytes32 seed) {
        slot = currentSlot();
        Slot storage s = slots[slot];
        require(!s.opened, "Challenges: slot already opened");
        uint64 version = registry.slarkVersion();
        if (rosters.length == 0 || version != rosterVersion) {
            (address[] memory addrs, uint8[] memory tiers) = registry.eligibleSlarks();
            Member[] storage roster = rosters.push();
            for (uint256 i = 0; i < addrs.length; i++) roster.push(Member(addrs[i], tiers[i]));
            rosterVersion = version;
        }
        seed = keccak256(abi.encode(lastSeed, block.prevrandao, blockhash(block.number - 1), slot));
        lastSeed = seed;
        s.opened = true;
        s.roster = uint32(rosters.length - 1);
        s.seed = seed;
        emit SlotOpened(slot, seed);
    }

    /// @notice The committee challenging `provider` in `slot`, in draw order (bit i of a signer
    /// bitmap is member i). The provider's tier is the one recorded at commit, else its current one.
    function committeeOf(uint256 slot, address provider) public view returns (address[] memory) {
        Slot storage s = slots[slot];
        require(s.opened, "Challenges: slot not opened");
        Challenge storage c = challenges[slot][provider];
        uint8 providerTier = c.committer != address(0) ? c.providerTier : registry.tierOf(provider);
        return _draw(rosters[s.roster], s.seed, provider, providerTier);
    }

    /// @notice A committee member commits to this slot's challenge of `provider`, once.
    function commit(uint256 slot, address provider, bytes32 puzzleHash, bytes32 specHash) external {
        Slot storage s = slots[slot];
        require(s.opened, "Challenges: slot not opened");
        require(slot == currentSlot(), "Challenges: commitments are made during their slot");
        ProviderRegistry.Role role = registry.roleOf(provider);
        require(role == ProviderRegistry.Role.Provider || role == ProviderRegistry.Role.Gateway || role == ProviderRegistry.Role.Fizz,
            "Challenges: not a registered provider");
        Challenge storage c = challenges[slot][provider];
        require(c.committer == address(0), "Challenges: already committed for this slot and provider");
        uint8 providerTier = registry.tierOf(provider);
        address[] memory committee = _draw(rosters[s.roster], s.seed, provider, providerTier);
        bool member;
        for (uint256 i = 0; i < committee.length && !member; i++) member = committee[i] == msg.sender;
        require(member, "Challenges: the caller is not on this provider's committee");
        c.committer = msg.sender;
        c.providerTier = providerTier;
        c.committedAt = uint64(block.timestamp);
        c.puzzleHash = puzzleHash;
        c.specHash = specHash;
        emit ChallengeCommitted(slot, provider, msg.sender, puzzleHash, specHash);
    }

    /// @notice What committee members sign (hashed to G2 with the BLS message DST).
    function resultMessage(uint256 slot, address provider, bool passed, bytes32 answerHash) public view returns (bytes32) {
        return keccak256(abi.encode(RESULT_DOMAIN, block.chainid, address(this), slot, provider, passed, answerHash));
    }

    /// @notice Records a committee's verdict: `signature` (a 256-byte EIP-2537 G2 point) is the
    /// aggregate of the members whose bits are set in `signers`, a strict majority.
    function submitResult(uint256 slot, address provider, bool passed, bytes32 answerHash, uint256 signers, bytes calldata signature) external {
        Challenge storage c = challenges[slot][provider];
        require(c.committer != address(0), "Challenges: nothing committed for this slot and provider");
        require(!c.resulted, "Challenges: a result for this slot and provider is already recorded");
        require(signature.length == 256, "Challenges: the signature must be a 256-byte EIP-2537 G2 point");
        address[] memory committee = committeeOf(slot, provider);
        require(signers >> committee.length == 0, "Challenges: signer bits beyond the committee");
        address[] memory signing = new address[](committee.length);
        uint256 n;
        for (uint256 i = 0; i < committee.length; i++) if (signers & (1 << i) != 0) signing[n++] = committee[i];
        require(n * 2 > committee.length, "Challenges: the signers are not a majority of the committee");
        assembly ("memory-safe") { mstore(signing, n) }
        bytes memory keys = registry.blsKeysG1Of(signing);
        require(BLS.verify(BLS.g1Sum(keys, n), abi.encodePacked(resultMessage(slot, provider, passed, answerHash)), signature),
            "Challenges: invalid aggregate signature");
        c.resulted = true;
        c.passed = passed;
        c.answerHash = answerHash;
        c.signers = signers;
        for (uint256 i = 0; i < committee.length; i++) {
            Votes storage v = votesOf[committee[i]];
            v.seated++;
            if (signers & (1 << i) != 0) v.inMajority++;
        }
        emit ChallengeResult(slot, provider, passed, answerHash, signers);
    }

    /// Slark tier s may challenge provider tiers ≥ 7 − s (an unset slark tier counts as 1). Of
    /// the eligible, all if no more than the committee size, else a partial Fisher–Yates shuffle
    /// with keccak256(seed, provider, i) picking position i.
    function _draw(Member[] storage roster, bytes32 seed, address provider, uint8 providerTier) private view returns (address[] memory pool) {
        uint256 len = roster.length;
        pool = new address[](len);
        uint256 m;
        for (uint256 i = 0; i < len; i++) {
            Member storage member = roster[i];
            uint256 tier = member.tier == 0 ? 1 : member.tier;
            if (uint256(providerTier) + tier >= 7) pool[m++] = member.slark;
        }
        uint256 size = m < committeeSize ? m : committeeSize;
        for (uint256 i = 0; i < size && m > committeeSize; i++) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, provider, i))) % (m - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        assembly ("memory-safe") { mstore(pool, size) }
    }
}
