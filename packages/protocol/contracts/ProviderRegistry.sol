// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BLS} from "./BLS.sol";

/// @title ProviderRegistry — who is who: wallet ↔ libp2p peer id, role, region, attributes, tier.
/// @notice Proposals are approved automatically for now (the owner can revoke). Gateways accept
/// their fizz nodes before those can register under them. Matchers and slarks register a BLS
/// public key with a proof of possession, checked here (without it a rogue key could cancel the
/// others' in an aggregate). Provider tiers start at 7 (least trusted), slark tiers at 1 (the
/// least trusted slark tier, 1–6); the tier authority (era settlement, Rewards) and the owner
/// (a devnet sets profile tiers) set them.
contract ProviderRegistry {
    enum Role { None, Provider, Gateway, Fizz, Matcher, Slark }

    struct Node {
        Role role;
        bool approved;
        uint8 tier;
        uint64 registeredAt;
        address gateway;
        string peerId;
        string region;
        bytes attributes;
        /// 48 bytes, compressed (what peers exchange).
        bytes blsPublicKey;
        /// The same key as a 128-byte EIP-2537 G1 point (what contracts verify with).
        bytes blsPublicKeyG1;
    }

    address public owner;
    address public tierAuthority;
    mapping(address => Node) private nodes;
    /// gateway => fizz => accepted
    mapping(address => mapping(address => bool)) public gatewayAccepts;
    address[] private registered;
    /// Every address that ever registered as a slark, in order (eligibility is checked on read).
    address[] private slarks;
    /// Bumped whenever the eligible slarks or their tiers may have changed, so Challenges copies
    /// its committee roster only then.
    uint64 public slarkVersion;
    /// keccak256(48-byte BLS key) => holder: a copied key and proof of possession would let one
    /// signature count for two committee seats (2σ is public once σ is).
    mapping(bytes32 => address) public blsKeyHolder;

    event Registered(address indexed node, Role role, string peerId, address gateway);
    event Approval(address indexed node, bool approved);
    event TierSet(address indexed node, uint8 tier);
    event FizzAccepted(address indexed gateway, address indexed fizz, bool accepted);
    event TierAuthoritySet(address authority);

    constructor() {
        owner = msg.sender;
        tierAuthority = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "Registry: only the owner");
        _;
    }

    /// @notice Registers (or updates) the caller as a provider, gateway, matcher or slark.
    /// Matchers and slarks pass their BLS key compressed (48 bytes), as an EIP-2537 G1 point
    /// (128 bytes) and a proof of possession (an EIP-2537 G2 point, 256 bytes: the key's 48
    /// bytes signed under the PoP DST); providers and gateways pass all three empty.
    function register(Role role, string calldata peerId, string calldata region, bytes calldata attributes, bytes calldata blsPublicKey, bytes calldata blsPublicKeyG1, bytes calldata blsPop) external {
        require(role == Role.Provider || role == Role.Gateway || role == Role.Matcher || role == Role.Slark, "Registry: use registerFizz for fizz nodes");
        require(bytes(peerId).length > 0, "Registry: peer id required");
        if (role == Role.Matcher || role == Role.Slark) {
            _checkBlsKey(blsPublicKey, blsPublicKeyG1, blsPop);
        } else {
            require(blsPublicKey.length == 0 && blsPublicKeyG1.length == 0 && blsPop.length == 0, "Registry: only matchers and slarks register a BLS key");
        }
        _store(role, peerId, region, attributes, blsPublicKey, blsPublicKeyG1, address(0));
    }

    /// @notice Registers the caller as a fizz node under a gateway that accepted it.
    function registerFizz(address gateway, string calldata peerId, string calldata region, bytes calldata attributes) external {
        require(nodes[gateway].role == Role.Gateway && nodes[gateway].approved, "Registry: not an approved gateway");
        require(gatewayAccepts[gateway][msg.sender], "Registry: the gateway has not accepted this fizz node");
        require(bytes(peerId).length > 0, "Registry: peer id required");
        _store(Role.Fizz, peerId, region, attributes, "", "", gateway);
    }

    function acceptFizz(address fizz, bool accepted) external {
        require(nodes[msg.sender].role == Role.Gateway, "Registry: only a gateway accepts fizz nodes");
        gatewayAccepts[msg.sender][fizz] = accepted;
        emit FizzAccepted(msg.sender, fizz, accepted);
    }

    function setApproval(address node, bool approved) external onlyOwner {
        require(nodes[node].role != Role.None, "Registry: not registered");
        nodes[node].approved = approved;
        if (nodes[node].role == Role.Slark) slarkVersion++;
        emit Approval(node, approved);
    }

    function setTier(address node, uint8 tier) external {
        require(msg.sender == tierAuthority || msg.sender == owner, "Registry: only the tier authority or the owner sets tiers");
        require(tier >= 1 && tier <= 7, "Registry: tier is 1 to 7");
        require(nodes[node].role != Role.None, "Registry: not registered");
        if (nodes[node].role == Role.Slark) {
            require(tier <= 6, "Registry: a slark's tier is 1 to 6");
            slarkVersion++;
        }
        nodes[node].tier = tier;
        emit TierSet(node, tier);
    }

    function setTierAuthority(address authority) external onlyOwner {
        tierAuthority = authority;
        emit TierAuthoritySet(authority);
    }

    function roleOf(address node) external view returns (Role) { return nodes[node].role; }
    function isApproved(address node) external view returns (bool) { return nodes[node].approved; }
    function tierOf(address node) external view returns (uint8) { return nodes[node].tier; }
    function gatewayOf(address node) external view returns (address) { return nodes[node].gateway; }
    function count() external view returns (uint256) { return registered.length; }
    function at(uint256 i) external view returns (address) { return registered[i]; }

    function nodeOf(address node) external view returns (Node memory) { return nodes[node]; }

    /// @notice The approved slarks with a BLS key, and their tiers: the pool committees are drawn from.
    function eligibleSlarks() external view returns (address[] memory addrs, uint8[] memory tiers) {
        addrs = new address[](slarks.length);
        tiers = new uint8[](slarks.length);
        uint256 n;
        for (uint256 i = 0; i < slarks.length; i++) {
            Node storage s = nodes[slarks[i]];
            if (s.role != Role.Slark || !s.approved || s.blsPublicKeyG1.length != 128) continue;
            addrs[n] = slarks[i];
            tiers[n] = s.tier;
            n++;
        }
        assembly ("memory-safe") {
            mstore(addrs, n)
            mstore(tiers, n)
        }
    }

    /// @notice The EIP-2537 G1 BLS keys of `who`, concatenated (128 bytes each): one call for a
    /// whole committee. Reverts when one has none.
    function blsKeysG1Of(address[] calldata who) external view returns (bytes memory keys) {
        keys = new bytes(128 * who.length);
        for (uint256 i = 0; i < who.length; i++) {
            bytes storage k = nodes[who[i]].blsPublicKeyG1;
            require(k.length == 128, "Registry: no BLS key registered");
            bytes memory key = k;
            assembly ("memory-safe") { mcopy(add(add(keys, 32), mul(i, 128)), add(key, 32), 128) }
        }
    }

    /// The key's two forms agree, its proof of possession verifies, and no other node holds it.
    function _checkBlsKey(bytes calldata publicKey, bytes calldata publicKeyG1, bytes calldata pop) private {
        require(publicKey.length == 48 && publicKeyG1.length == 128 && pop.length == 256,
            "Registry: a BLS key is 48 bytes compressed, 128 bytes as an EIP-2537 G1 point, with a 256-byte proof of possession");
        require(BLS.isUncompressedOf(publicKey, publicKeyG1), "Registry: the 128-byte BLS key is not the 48-byte key uncompressed");
        require(BLS.verifyPop(publicKey, publicKeyG1, pop), "Registry: invalid BLS proof of possession");
        bytes32 id = keccak256(publicKey);
        address holder = blsKeyHolder[id];
        require(holder == address(0) || holder == msg.sender, "Registry: this BLS key is registered by another node");
        bytes memory previous = nodes[msg.sender].blsPublicKey;
        if (previous.length > 0 && keccak256(previous) != id) delete blsKeyHolder[keccak256(previous)];
        blsKeyHolder[id] = msg.sender;
    }

    function _store(Role role, string calldata peerId, string calldata region, bytes calldata attributes, bytes memory bls, bytes memory blsG1, address gateway) private {
        Node storage n = nodes[msg.sender];
        require(n.role == Role.None || n.role == role, "Registry: already registered with another role");
        if (n.role == Role.None) {
            registered.push(msg.sender);
            n.registeredAt = uint64(block.timestamp);
            n.tier = role == Role.Slark ? 1 : 7;
            n.approved = true;
            if (role == Role.Slark) slarks.push(msg.sender);
        }
        if (role == Role.Slark) slarkVersion++;
        n.role = role;
        n.peerId = peerId;
        n.region = region;
        n.attributes = attributes;
        n.blsPublicKey = bls;
        n.blsPublicKeyG1 = blsG1;
        n.gateway = gateway;
        emit Registered(msg.sender, role, peerId, gateway);
    }
}
