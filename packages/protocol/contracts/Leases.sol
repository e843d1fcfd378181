// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "./Escrow.sol";
import "./ProviderRegistry.sol";
import "./Staking.sol";

/// @title Leases — a lease from a signed order, bid and match; paid by the second.
/// @notice createLease checks the three EIP-712 signatures (domain {name "dcn", version "1",
/// chainId}), the matcher's and the provider's registration and stake, the price and the expiry,
/// then locks price × duration (+ the 2% user fee on tokens other than SPON) from the owner's
/// escrow. Payment accrues with block.timestamp; the provider (or anyone, for it) withdraws what
/// has accrued at any time; on close the unused rest returns to the owner. A lease ends by itself
/// at start + duration. Its provider may pause it (a gateway does when the fizz node running it
/// drops off the network) and resume it: no payment accrues while it is paused, and its end moves
/// on by the paused time, so the owner still gets the whole duration paid for. Fees on each
/// payment: 20% to the foundation, and on tokens other than SPON 2% from the provider's payout
/// and 2% on top from the user.
contract Leases {
    // Solidity reserves `memory` and `storage`: the fields are named mem and disk here; the
    // EIP-712 type strings keep the protocol's names, which is all the hash depends on.
    struct Resources { uint64 cpu; uint64 mem; uint64 disk; uint32 gpuUnits; string gpuModel; }

    struct Order {
        bytes32 id; address owner; Resources resources; string region; uint8 minTrustTier; uint8 mode;
        address token; uint256 maxPricePerSecond; uint64 duration; uint64 bidDeadlineMs; uint64 refBlock;
        uint256 nonce; uint64 createdMs; uint64 expiry; bytes32 manifestHash;
    }

    struct Bid {
        bytes32 orderId; address bidder; string peerId; string fizzId; uint256 pricePerSecond; string region;
        uint8 tier; address token; Resources available; Resources capacity; uint64 createdMs; uint64 expiry;
    }

    struct Match {
        bytes32 orderId; bytes32 bidHash; address bidder; uint256 pricePerSecond; address matcher;
        uint32 bids; uint64 createdMs; uint64 expiry;
    }

    struct Lease {
        bytes32 orderId;
        address owner;
        address provider;
        address token;
        uint256 pricePerSecond;
        uint64 start;
        uint64 end;
        uint64 paidUntil;
        uint64 closedAt;
        /// What is still locked in escrow for this lease.
        uint256 locked;
        bytes32 manifestHash;
        string peerId;
        string fizzId;
        uint8 rating;
        /// When its provider paused it; 0 while it runs. Left set when a paused lease is closed.
        uint64 pausedAt;
    }

    enum CloseReason { Owner, Provider, Expired, Updated }

    bytes32 private constant RESOURCES_TYPE = keccak256("Resources(uint64 cpu,uint64 memory,uint64 storage,uint32 gpuUnits,string gpuModel)");
    bytes32 private constant ORDER_TYPE = keccak256(
        "Order(bytes32 id,address owner,Resources resources,string region,uint8 minTrustTier,uint8 mode,address token,uint256 maxPricePerSecond,uint64 duration,uint64 bidDeadlineMs,uint64 refBlock,uint256 nonce,uint64 createdMs,uint64 expiry,bytes32 manifestHash)"
        "Resources(uint64 cpu,uint64 memory,uint64 storage,uint32 gpuUnits,string gpuModel)");
    bytes32 private constant BID_TYPE = keccak256(
        "Bid(bytes32 orderId,address bidder,string peerId,string fizzId,uint256 pricePerSecond,string region,uint8 tier,address token,Resources available,Resources capacity,uint64 createdMs,uint64 expiry)"
        "Resources(uint64 cpu,uint64 memory,uint64 storage,uint32 gpuUnits,string gpuModel)");
    bytes32 private constant MATCH_TYPE = keccak256(
        "Match(bytes32 orderId,bytes32 bidHash,address bidder,uint256 pricePerSecond,address matcher,uint32 bids,uint64 createdMs,uint64 expiry)");
    bytes32 private constant DOMAIN_TYPE = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    uint256 public constant BPS = 10_000;
    uint256 public constant FOUNDATION_FEE_BPS = 2_000;
    uint256 public constant TOKEN_FEE_BPS = 200;

    Escrow public immutable escrow;
    ProviderRegistry public immutable registry;
    Staking public immutable staking;
    address public immutable spon;

    mapping(bytes32 => bool) public orderUsed;
    mapping(uint256 => Lease) private leases;
    uint256 public leaseCount;
    /// provider => sum and count of ratings
    mapping(address => uint256) public ratingSum;
    mapping(address => uint256) public ratingCount;

    event LeaseCreated(uint256 indexed leaseId, bytes32 indexed orderId, address indexed owner, address provider, address token, uint256 pricePerSecond, uint64 start, uint64 end, uint256 locked);
    /// What the lease holds of its provider's capacity: slarks subtract it from the registered
    /// capacity when they draw a challenge.
    event LeaseResources(uint256 indexed leaseId, address indexed provider, uint64 cpu, uint64 memoryBytes, uint64 storageBytes, uint32 gpuUnits);
    event LeasePaid(uint256 indexed leaseId, uint256 gross, uint256 toProvider, uint256 fees);
    event LeaseClosed(uint256 indexed leaseId, CloseReason reason, uint256 refund);
    event LeaseRated(uint256 indexed leaseId, address indexed provider, uint8 rating);
    event LeasePaused(uint256 indexed leaseId, uint64 at);
    event LeaseResumed(uint256 indexed leaseId, uint64 pausedFor);

    constructor(Escrow escrow_, ProviderRegistry registry_, Staking staking_, address spon_) {
        escrow = escrow_;
        registry = registry_;
        staking = staking_;
        spon = spon_;
    }

    // ----------------------------------------------------------------- create

    function createLease(Order calldata o, bytes calldata orderSig, Bid calldata b, bytes calldata bidSig, Match calldata m, bytes calldata matchSig)
        external returns (uint256 leaseId)
    {
        require(msg.sender == o.owner, "Leases: only the order's owner can create its lease");
        return _create(o, orderSig, b, bidSig, m, matchSig);
    }

    /// @notice Update = close the old lease and create the new one, in one transaction.
    function updateLease(uint256 oldLeaseId, Order calldata o, bytes calldata orderSig, Bid calldata b, bytes calldata bidSig, Match calldata m, bytes calldata matchSig)
        external returns (uint256 leaseId)
    {
        Lease storage old = _lease(oldLeaseId);
        require(msg.sender == old.owner && msg.sender == o.owner, "Leases: only the lease's owner can update it");
        require(old.closedAt == 0, "Leases: lease already closed");
        _close(oldLeaseId, CloseReason.Updated);
        return _create(o, orderSig, b, bidSig, m, matchSig);
    }

    function _create(Order calldata o, bytes calldata orderSig, Bid calldata b, bytes calldata bidSig, Match calldata m, bytes calldata matchSig)
        private returns (uint256 leaseId)
    {
        require(!orderUsed[o.id], "Leases: order already used");
        require(block.timestamp <= o.expiry, "Leases: order expired");
        require(b.orderId == o.id && m.orderId == o.id, "Leases: bid or match is for another order");
        require(b.token == o.token, "Leases: bid in another token");
        require(b.pricePerSecond <= o.maxPricePerSecond, "Leases: bid above the order's max price");
        require(m.bidder == b.bidder && m.pricePerSecond == b.pricePerSecond, "Leases: match does not name this bid");
        require(o.duration > 0, "Leases: zero duration");

        bytes32 domain = _domain();
        bytes32 bidDigest = _digest(domain, _hashBid(b));
        require(m.bidHash == bidDigest, "Leases: match does not name this bid");
        require(_recover(_digest(domain, _hashOrder(o)), orderSig) == o.owner, "Leases: bad order signature");
        require(_recover(bidDigest, bidSig) == b.bidder, "Leases: bad bid signature");
        require(_recover(_digest(domain, _hashMatch(m)), matchSig) == m.matcher, "Leases: bad match signature");

        require(registry.roleOf(m.matcher) == ProviderRegistry.Role.Matcher && registry.isApproved(m.matcher), "Leases: matcher not registered");
        ProviderRegistry.Role role = registry.roleOf(b.bidder);
        require((role == ProviderRegistry.Role.Provider || role == ProviderRegistry.Role.Gateway) && registry.isApproved(b.bidder), "Leases: bidder not a registered provider");
        require(staking.hasMinStake(b.bidder), "Leases: provider below the minimum stake");
        require(registry.tierOf(b.bidder) <= o.minTrustTier, "Leases: provider's tier is less trusted than the order accepts");

        orderUsed[o.id] = true;
        uint256 base = b.pricePerSecond * o.duration;
        uint256 locked = base + (o.token == spon ? 0 : base * TOKEN_FEE_BPS / BPS);
        escrow.lock(o.owner, o.token, locked);

        leaseId = ++leaseCount;
        uint64 start = uint64(block.timestamp);
        Lease storage l = leases[leaseId];
        l.orderId = o.id;
        l.owner = o.owner;
        l.provider = b.bidder;
        l.token = o.token;
        l.pricePerSecond = b.pricePerSecond;
        l.start = start;
        l.end = start + o.duration;
        l.paidUntil = start;
        l.locked = locked;
        l.manifestHash = o.manifestHash;
        l.peerId = b.peerId;
        l.fizzId = b.fizzId;
        emit LeaseCreated(leaseId, o.id, o.owner, b.bidder, o.token, b.pricePerSecond, start, l.end, locked);
        emit LeaseResources(leaseId, b.bidder, o.resources.cpu, o.resources.mem, o.resources.disk, o.resources.gpuUnits);
    }

    // ------------------------------------------------------------- streaming

    /// @notice What the provider would receive now (after fees) and the gross it comes from.
    function accrued(uint256 leaseId) external view returns (uint256 gross, uint256 toProvider) {
        Lease storage l = _lease(leaseId);
        gross = l.pricePerSecond * (_settleTime(l) - l.paidUntil);
        (, toProvider) = _split(l.token, gross);
    }

    /// @notice Pays the provider what has accrued; closes the lease once its time is up. Anyone may call it.
    /// While the lease is paused nothing accrues and its time is never up.
    function withdraw(uint256 leaseId) external {
        Lease storage l = _lease(leaseId);
        require(l.closedAt == 0, "Leases: lease already closed");
        _settle(leaseId);
        if (block.timestamp >= _endNow(l)) _close(leaseId, CloseReason.Expired);
    }

    /// @notice Closes a lease: by its owner or provider at any time, by anyone once it has run out.
    /// A paused lease is paid up to its pause and the rest returns to the owner.
    function closeLease(uint256 leaseId) external {
        Lease storage l = _lease(leaseId);
        require(l.closedAt == 0, "Leases: lease already closed");
        CloseReason reason;
        if (block.timestamp >= _endNow(l)) reason = CloseReason.Expired;
        else if (msg.sender == l.owner) reason = CloseReason.Owner;
        else if (msg.sender == l.provider) reason = CloseReason.Provider;
        else revert("Leases: only the owner or the provider can close an active lease");
        _close(leaseId, reason);
    }

    /// @notice The provider stops the clock: pays what has accrued up to now, then nothing accrues
    /// until it resumes the lease.
    function pauseLease(uint256 leaseId) external {
        Lease storage l = _lease(leaseId);
        require(msg.sender == l.provider, "Leases: only the provider can pause a lease");
        require(l.closedAt == 0, "Leases: lease already closed");
        require(l.pausedAt == 0, "Leases: lease already paused");
        require(block.timestamp < l.end, "Leases: lease has run out");
        _settle(leaseId);
        l.pausedAt = uint64(block.timestamp);
        emit LeasePaused(leaseId, uint64(block.timestamp));
    }

    /// @notice The provider restarts the clock: the paused seconds are neither paid nor lost, the
    /// lease's end (and its paidUntil) move on by them.
    function resumeLease(uint256 leaseId) external {
        Lease storage l = _lease(leaseId);
        require(msg.sender == l.provider, "Leases: only the provider can resume a lease");
        require(l.closedAt == 0, "Leases: lease already closed");
        require(l.pausedAt != 0, "Leases: lease is not paused");
        uint64 d = uint64(block.timestamp) - l.pausedAt;
        l.paidUntil += d;
        l.end += d;
        l.pausedAt = 0;
        emit LeaseResumed(leaseId, d);
    }

    function rate(uint256 leaseId, uint8 rating) external {
        Lease storage l = _lease(leaseId);
        require(msg.sender == l.owner, "Leases: only the owner rates");
        require(l.closedAt != 0, "Leases: rate after the lease is closed");
        require(l.rating == 0, "Leases: already rated");
        require(rating >= 1 && rating <= 5, "Leases: rating is 1 to 5");
        l.rating = rating;
        ratingSum[l.provider] += rating;
        ratingCount[l.provider] += 1;
        emit LeaseRated(leaseId, l.provider, rating);
    }

    function getLease(uint256 leaseId) external view returns (Lease memory) { return _lease(leaseId); }

    /// @notice Active = not closed and its time not up (a paused lease is active: its end moves on).
    function isActive(uint256 leaseId) external view returns (bool) {
        Lease storage l = _lease(leaseId);
        return l.closedAt == 0 && block.timestamp < _endNow(l);
    }

    function _lease(uint256 leaseId) private view returns (Lease storage l) {
        l = leases[leaseId];
        require(l.owner != address(0), "Leases: no such lease");
    }

    /// Where the lease ends if resumed now: end + the seconds it has been paused so far. A paused
    /// lease (paused before its end) never runs out while it stays paused.
    function _endNow(Lease storage l) private view returns (uint256) {
        uint64 p = l.pausedAt;
        return p == 0 ? l.end : uint256(l.end) + (block.timestamp - p);
    }

    /// Up to when the lease is paid now: min(now, end, pausedAt if paused, closedAt if closed), never below paidUntil.
    function _settleTime(Lease storage l) private view returns (uint64) {
        uint64 t = uint64(block.timestamp) < l.end ? uint64(block.timestamp) : l.end;
        if (l.pausedAt != 0 && l.pausedAt < t) t = l.pausedAt;
        if (l.closedAt != 0 && l.closedAt < t) t = l.closedAt;
        return t < l.paidUntil ? l.paidUntil : t;
    }

    /// fromLocked = gross + user fee; toProvider = gross − foundation fee − provider fee.
    function _split(address token, uint256 gross) private view returns (uint256 fromLocked, uint256 toProvider) {
        uint256 tokenFee = token == spon ? 0 : gross * TOKEN_FEE_BPS / BPS;
        fromLocked = gross + tokenFee;
        toProvider = gross - gross * FOUNDATION_FEE_BPS / BPS - tokenFee;
    }

    function _settle(uint256 leaseId) private {
        Lease storage l = leases[leaseId];
        uint64 t = _settleTime(l);
        if (t == l.paidUntil) return;
        uint256 gross = l.pricePerSecond * (t - l.paidUntil);
        l.paidUntil = t;
        (uint256 fromLocked, uint256 toProvider) = _split(l.token, gross);
        // The last payment takes rounding dust with it, never more than is locked.
        if (t == l.end || fromLocked > l.locked) fromLocked = l.locked;
        if (toProvider > fromLocked) toProvider = fromLocked;
        l.locked -= fromLocked;
        escrow.pay(l.owner, l.provider, l.token, fromLocked, toProvider);
        emit LeasePaid(leaseId, gross, toProvider, fromLocked - toProvider);
    }

    function _close(uint256 leaseId, CloseReason reason) private {
        _settle(leaseId);
        Lease storage l = leases[leaseId];
        l.closedAt = uint64(block.timestamp);
        uint256 refund = l.locked;
        l.locked = 0;
        if (refund > 0) escrow.unlock(l.owner, l.token, refund);
        emit LeaseClosed(leaseId, reason, refund);
    }

    // --------------------------------------------------------------- EIP-712

    function _domain() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPE, keccak256("dcn"), keccak256("1"), block.chainid));
    }

    function _digest(bytes32 domain, bytes32 structHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _hashResources(Resources calldata r) private pure returns (bytes32) {
        return keccak256(abi.encode(RESOURCES_TYPE, r.cpu, r.mem, r.disk, r.gpuUnits, keccak256(bytes(r.gpuModel))));
    }

    function _hashOrder(Order calldata o) private pure returns (bytes32) {
        // Two encodes: one abi.encode of every field is too deep for the stack.
        bytes memory head = abi.encode(ORDER_TYPE, o.id, o.owner, _hashResources(o.resources), keccak256(bytes(o.region)), o.minTrustTier, o.mode, o.token);
        bytes memory tail = abi.encode(o.maxPricePerSecond, o.duration, o.bidDeadlineMs, o.refBlock, o.nonce, o.createdMs, o.expiry, o.manifestHash);
        return keccak256(bytes.concat(head, tail));
    }

    function _hashBid(Bid calldata b) private pure returns (bytes32) {
        bytes memory head = abi.encode(BID_TYPE, b.orderId, b.bidder, keccak256(bytes(b.peerId)), keccak256(bytes(b.fizzId)), b.pricePerSecond, keccak256(bytes(b.region)));
        bytes memory tail = abi.encode(b.tier, b.token, _hashResources(b.available), _hashResources(b.capacity), b.createdMs, b.expiry);
        return keccak256(bytes.concat(head, tail));
    }

    function _hashMatch(Match calldata m) private pure returns (bytes32) {
        return keccak256(abi.encode(MATCH_TYPE, m.orderId, m.bidHash, m.bidder, m.pricePerSecond, m.matcher, m.bids, m.createdMs, m.expiry));
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
