// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "./IERC20.sol";

/// @title Staking — SPON staked by nodes and delegated to them.
/// @notice Withdrawing more than `vestingThreshold` at once vests over `vestingPeriod`; smaller
/// amounts return at once. Slashers (the owner, and era settlement) take slashed amounts from a
/// node's own stake; delegations are not slashed. Rewarders (era settlement) stake in another's
/// name: a slark's auto-delegated reward is the slark's to undelegate.
contract Staking {
    struct Unbonding { uint256 amount; uint64 releaseAt; }

    IERC20 public immutable spon;
    address public owner;
    mapping(address => bool) public isSlasher;
    mapping(address => bool) public isRewarder;
    uint256 public minStake;
    uint256 public vestingThreshold;
    uint64 public vestingPeriod;

    mapping(address => uint256) public selfStake;
    /// node => total delegated to it
    mapping(address => uint256) public delegatedTo;
    /// delegator => node => amount
    mapping(address => mapping(address => uint256)) public delegation;
    mapping(address => uint256) public slashes;
    mapping(address => Unbonding[]) private unbondings;
    uint256 public totalStaked;

    event Staked(address indexed node, uint256 amount);
    event Delegated(address indexed delegator, address indexed node, uint256 amount);
    event Unbonded(address indexed who, uint256 amount, uint64 releaseAt);
    event Slashed(address indexed node, uint256 amount, address to);
    event SlasherSet(address indexed who, bool allowed);
    event RewarderSet(address indexed who, bool allowed);

    constructor(IERC20 spon_, uint256 minStake_, uint256 vestingThreshold_, uint64 vestingPeriod_) {
        spon = spon_;
        owner = msg.sender;
        isSlasher[msg.sender] = true;
        minStake = minStake_;
        vestingThreshold = vestingThreshold_;
        vestingPeriod = vestingPeriod_;
    }

    function setSlasher(address who, bool allowed) external {
        require(msg.sender == owner, "Staking: only the owner");
        isSlasher[who] = allowed;
        emit SlasherSet(who, allowed);
    }

    function setRewarder(address who, bool allowed) external {
        require(msg.sender == owner, "Staking: only the owner");
        isRewarder[who] = allowed;
        emit RewarderSet(who, allowed);
    }

    function stakeOf(address node) public view returns (uint256) { return selfStake[node] + delegatedTo[node]; }
    function hasMinStake(address node) external view returns (bool) { return stakeOf(node) >= minStake; }

    function stake(uint256 amount) external {
        require(amount > 0, "Staking: nothing to stake");
        require(spon.transferFrom(msg.sender, address(this), amount), "Staking: transfer failed");
        selfStake[msg.sender] += amount;
        totalStaked += amount;
        emit Staked(msg.sender, amount);
    }

    function unstake(uint256 amount) external {
        require(amount > 0 && selfStake[msg.sender] >= amount, "Staking: not that much staked");
        selfStake[msg.sender] -= amount;
        totalStaked -= amount;
        _unbond(amount);
    }

    function delegate(address node, uint256 amount) external {
        _delegate(msg.sender, node, amount);
    }

    /// @notice A rewarder delegates `amount` of its own SPON to `node` in `delegator`'s name
    /// (who alone may undelegate it).
    function delegateFor(address delegator, address node, uint256 amount) external {
        require(isRewarder[msg.sender], "Staking: only a rewarder delegates for others");
        _delegate(delegator, node, amount);
    }

    function undelegate(address node, uint256 amount) external {
        require(amount > 0 && delegation[msg.sender][node] >= amount, "Staking: not that much delegated");
        delegation[msg.sender][node] -= amount;
        delegatedTo[node] -= amount;
        totalStaked -= amount;
        _unbond(amount);
    }

    /// @notice Pays out every matured unbonding of the caller.
    function claim() external returns (uint256 paid) {
        Unbonding[] storage list = unbondings[msg.sender];
        uint256 i = 0;
        while (i < list.length) {
            if (list[i].releaseAt <= block.timestamp) {
                paid += list[i].amount;
                list[i] = list[list.length - 1];
                list.pop();
            } else {
                i++;
            }
        }
        if (paid > 0) require(spon.transfer(msg.sender, paid), "Staking: transfer failed");
    }

    function pendingUnbondings(address who) external view returns (Unbonding[] memory) { return unbondings[who]; }

    /// @notice Takes `amount` from a node's own stake (delegations are not touched here) and sends it to `to`.
    function slash(address node, uint256 amount, address to) external returns (uint256 taken) {
        require(isSlasher[msg.sender], "Staking: only a slasher");
        taken = amount > selfStake[node] ? selfStake[node] : amount;
        selfStake[node] -= taken;
        totalStaked -= taken;
        slashes[node] += 1;
        if (taken > 0) require(spon.transfer(to, taken), "Staking: transfer failed");
        emit Slashed(node, taken, to);
    }

    /// SPON comes from the caller, the delegation is `delegator`'s.
    function _delegate(address delegator, address node, uint256 amount) private {
        require(amount > 0, "Staking: nothing to delegate");
        require(spon.transferFrom(msg.sender, address(this), amount), "Staking: transfer failed");
        delegation[delegator][node] += amount;
        delegatedTo[node] += amount;
        totalStaked += amount;
        emit Delegated(delegator, node, amount);
    }

    function _unbond(uint256 amount) private {
        if (amount <= vestingThreshold) {
            require(spon.transfer(msg.sender, amount), "Staking: transfer failed");
            emit Unbonded(msg.sender, amount, uint64(block.timestamp));
        } else {
            uint64 releaseAt = uint64(block.timestamp) + vestingPeriod;
            unbondings[msg.sender].push(Unbonding(amount, releaseAt));
            emit Unbonded(msg.sender, amount, releaseAt);
        }
    }
}
