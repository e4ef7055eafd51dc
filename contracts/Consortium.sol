// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title Consortium
/// @notice Members, keys, accreditation scopes, schemas, models and M-of-N governance.
/// @dev Members are addressed by a ledger-neutral bytes32 id (core: keccak256 of the member's name)
/// and, inside the EVM, by a compact uint32 index that the registry stores in its records.
contract Consortium is IConsortium {
    bytes32 private constant _DISPUTE_PERIOD = "disputePeriod";
    bytes32 private constant _REPAIR_MINOR = "repairPeriod.minor";
    bytes32 private constant _REPAIR_GENERAL = "repairPeriod.general";
    bytes32 private constant _REPAIR_SERIOUS = "repairPeriod.serious";
    bytes32 private constant _VOTING_PERIOD = "votingPeriod";
    /// @dev Upper bound of every period parameter: ten years.
    uint64 private constant _MAX_PERIOD = 3650 days;

    struct KeyInfo {
        uint32 member;
        bool active;
    }

    struct SchemaInfo {
        uint32 index;
        bytes32 category;
    }

    mapping(bytes32 memberId => Member member) private _members;
    mapping(uint32 memberIndex => bytes32 memberId) private _memberIds;
    mapping(address key => KeyInfo info) private _keys;
    mapping(uint32 memberIndex => mapping(bytes32 category => uint64 expiresAt)) private _scopes;
    mapping(bytes32 schema => SchemaInfo info) private _schemas;
    mapping(uint32 schemaIndex => bytes32 category) private _schemaCategories;
    mapping(bytes32 modelHash => bytes32 scorer) private _models;
    mapping(bytes32 name => uint64 value) private _parameters;
    mapping(uint256 proposalId => Proposal proposal) private _proposals;
    mapping(uint256 proposalId => mapping(uint32 memberIndex => bool approved)) private _approved;

    uint32 private _memberCount;
    uint32 private _activeMembers;
    uint32 private _schemaCount;
    uint32 private _threshold;
    uint256 private _proposalCount;

    /// @notice Admits the founding members without a vote (the bootstrap path) and sets the defaults.
    /// @param founders the founding members
    /// @param initialThreshold approvals needed for a proposal, 1..founders.length
    constructor(FoundingMember[] memory founders, uint32 initialThreshold) {
        if (founders.length == 0) revert ConsortiumNoFounders();
        for (uint256 i = 0; i < founders.length; ++i) {
            FoundingMember memory f = founders[i];
            _admit(f.id, f.name, f.roles, f.keys);
            for (uint256 j = 0; j < f.categories.length; ++j) {
                _setScope(f.id, f.categories[j], f.scopeExpiresAt);
            }
        }
        _setThreshold(initialThreshold);
        _setParameter(_DISPUTE_PERIOD, 20 days);
        _setParameter(_REPAIR_MINOR, 0);
        _setParameter(_REPAIR_GENERAL, 90 days);
        _setParameter(_REPAIR_SERIOUS, 365 days);
        _setParameter(_VOTING_PERIOD, 7 days);
    }

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function propose(ActionKind kind, bytes calldata payload) external returns (uint256 proposalId) {
        (uint32 proposer, bytes32 proposerId) = _activeMemberOf(msg.sender);
        _validate(kind, payload);
        proposalId = ++_proposalCount;
        uint40 expiresAt = uint40(block.timestamp + _parameters[_VOTING_PERIOD]);
        _proposals[proposalId] = Proposal({
            proposer: proposer,
            approvals: 0,
            createdAt: uint40(block.timestamp),
            expiresAt: expiresAt,
            status: ProposalStatus.Open,
            kind: kind,
            payload: payload
        });
        emit ProposalCreated(proposalId, proposerId, kind, payload, expiresAt);
        _approve(proposalId, proposer, proposerId);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external {
        (uint32 voter, bytes32 voterId) = _activeMemberOf(msg.sender);
        _approve(proposalId, voter, voterId);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId) external {
        _activeMemberOf(msg.sender);
        Proposal storage p = _openProposal(proposalId);
        uint32 required = requiredApprovals();
        if (p.approvals < required) revert ConsortiumNotEnoughApprovals(proposalId, p.approvals, required);
        _executeProposal(proposalId, p);
    }

    /// @inheritdoc IConsortium
    function cancel(uint256 proposalId) external {
        (uint32 caller, bytes32 callerId) = _activeMemberOf(msg.sender);
        Proposal storage p = _openProposal(proposalId);
        if (p.proposer != caller) revert ConsortiumNotProposer(proposalId, callerId);
        p.status = ProposalStatus.Cancelled;
        emit ProposalCancelled(proposalId);
    }

    /// @inheritdoc IConsortium
    function requiredApprovals() public view returns (uint32) {
        return _threshold < _activeMembers ? _threshold : _activeMembers;
    }

    /// @inheritdoc IConsortium
    function threshold() external view returns (uint32) {
        return _threshold;
    }

    /// @inheritdoc IConsortium
    function activeMembers() external view returns (uint32) {
        return _activeMembers;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortium
    function hasApproved(uint256 proposalId, bytes32 memberId_) external view returns (bool) {
        return _approved[proposalId][_members[memberId_].index];
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.status == ProposalStatus.None) revert ConsortiumUnknownProposal(proposalId);
        if (p.status != ProposalStatus.Open) revert ConsortiumProposalClosed(proposalId);
        if (block.timestamp > p.expiresAt) revert ConsortiumProposalExpired(proposalId, p.expiresAt);
    }

    function _approve(uint256 proposalId, uint32 voter, bytes32 voterId) private {
        Proposal storage p = _openProposal(proposalId);
        if (_approved[proposalId][voter]) revert ConsortiumAlreadyVoted(proposalId, voterId);
        _approved[proposalId][voter] = true;
        uint32 approvals = ++p.approvals;
        uint32 required = requiredApprovals();
        emit ProposalApproved(proposalId, voterId, approvals, required);
        if (approvals >= required) _executeProposal(proposalId, p);
    }

    function _executeProposal(uint256 proposalId, Proposal storage p) private {
        p.status = ProposalStatus.Executed;
        _execute(p.kind, p.payload);
        emit ProposalExecuted(proposalId);
    }

    /// @dev Checks a payload decodes and is acceptable now; the same checks run again at execution.
    function _validate(ActionKind kind, bytes calldata payload) private view {
        if (kind == ActionKind.Admit) {
            (bytes32 id, string memory name, uint8 roles, address[] memory keys) = abi.decode(
                payload,
                (bytes32, string, uint8, address[])
            );
            _checkAdmission(id, name, roles, keys);
        } else if (kind == ActionKind.SetRoles) {
            (bytes32 id, uint8 roles) = abi.decode(payload, (bytes32, uint8));
            _existing(id);
            _checkRoles(roles);
        } else if (kind == ActionKind.SetScope) {
            (bytes32 id, bytes32 category, uint64 expiresAt) = abi.decode(payload, (bytes32, bytes32, uint64));
            _checkScope(id, category, expiresAt);
        } else if (kind == ActionKind.Suspend) {
            _checkSuspension(abi.decode(payload, (bytes32)));
        } else if (kind == ActionKind.Reinstate) {
            bytes32 id = abi.decode(payload, (bytes32));
            if (!_existing(id).suspended) revert ConsortiumMemberNotSuspended(id);
        } else if (kind == ActionKind.AddKey) {
            (bytes32 id, address key) = abi.decode(payload, (bytes32, address));
            _existing(id);
            _checkNewKey(key);
        } else if (kind == ActionKind.RevokeKey) {
            (bytes32 id, address key) = abi.decode(payload, (bytes32, address));
            _checkKeyRevocation(id, key);
        } else if (kind == ActionKind.SetThreshold) {
            _checkThreshold(abi.decode(payload, (uint32)));
        } else {
            // ActionKind.SetParameter: the ABI decoder already rejected kinds outside the enum
            (bytes32 name, uint64 value) = abi.decode(payload, (bytes32, uint64));
            _checkParameter(name, value);
        }
    }

    function _execute(ActionKind kind, bytes memory payload) private {
        if (kind == ActionKind.Admit) {
            (bytes32 id, string memory name, uint8 roles, address[] memory keys) = abi.decode(
                payload,
                (bytes32, string, uint8, address[])
            );
            _admit(id, name, roles, keys);
        } else if (kind == ActionKind.SetRoles) {
            (bytes32 id, uint8 roles) = abi.decode(payload, (bytes32, uint8));
            _setRoles(id, roles);
        } else if (kind == ActionKind.SetScope) {
            (bytes32 id, bytes32 category, uint64 expiresAt) = abi.decode(payload, (bytes32, bytes32, uint64));
            _setScope(id, category, expiresAt);
        } else if (kind == ActionKind.Suspend) {
            _setSuspended(abi.decode(payload, (bytes32)), true);
        } else if (kind == ActionKind.Reinstate) {
            _setSuspended(abi.decode(payload, (bytes32)), false);
        } else if (kind == ActionKind.AddKey) {
            (bytes32 id, address key) = abi.decode(payload, (bytes32, address));
            _addKey(id, key);
        } else if (kind == ActionKind.RevokeKey) {
            (bytes32 id, address key) = abi.decode(payload, (bytes32, address));
            _revokeKey(id, key);
        } else if (kind == ActionKind.SetThreshold) {
            _setThreshold(abi.decode(payload, (uint32)));
        } else {
            (bytes32 name, uint64 value) = abi.decode(payload, (bytes32, uint64));
            _setParameter(name, value);
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Member self-service, schemas, models
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function revokeOwnKey(address key) external {
        (, bytes32 id) = _activeMemberOf(msg.sender);
        _revokeKey(id, key);
    }

    /// @inheritdoc IConsortium
    function registerSchema(string calldata categoryName, string calldata definition) external returns (bytes32) {
        (, bytes32 registrant) = _authorize(msg.sender, Roles.OPERATOR);
        bytes32 schema = keccak256(bytes(definition));
        if (bytes(categoryName).length == 0 || bytes(definition).length == 0) revert ConsortiumInvalidSchema(schema);
        if (_schemas[schema].index != 0) revert ConsortiumSchemaExists(schema);
        bytes32 category = keccak256(bytes(categoryName));
        uint32 index = ++_schemaCount;
        _schemas[schema] = SchemaInfo({index: index, category: category});
        _schemaCategories[index] = category;
        emit SchemaRegistered(schema, category, index, categoryName, definition, registrant);
        return schema;
    }

    /// @inheritdoc IConsortium
    function registerModel(bytes32 modelHash, string calldata uri) external {
        (, bytes32 scorer) = _authorize(msg.sender, Roles.SCORER);
        if (modelHash == bytes32(0)) revert ConsortiumInvalidModel(modelHash);
        if (_models[modelHash] != bytes32(0)) revert ConsortiumModelExists(modelHash);
        _models[modelHash] = scorer;
        emit ModelRegistered(modelHash, scorer, uri);
    }

    // ----------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function authorize(address key, uint8 role) external view returns (uint32 memberIndex, bytes32 memberId_) {
        return _authorize(key, role);
    }

    /// @inheritdoc IConsortium
    function authorizeProvider(
        address key,
        bytes32 schema
    ) external view returns (uint32 memberIndex, bytes32 memberId_, uint32 schemaIndex_) {
        (memberIndex, memberId_) = _authorize(key, Roles.PROVIDER);
        SchemaInfo memory s = _schemas[schema];
        if (s.index == 0) revert ConsortiumUnknownSchema(schema);
        uint64 expiresAt = _scopes[memberIndex][s.category];
        if (expiresAt == 0) revert ConsortiumNotAccredited(memberId_, s.category);
        if (expiresAt <= block.timestamp) revert ConsortiumAccreditationExpired(memberId_, s.category, expiresAt);
        schemaIndex_ = s.index;
    }

    /// @inheritdoc IConsortium
    function isAccredited(uint32 memberIndex, uint32 schemaIndex_) external view returns (bool) {
        Member storage m = _members[_memberIds[memberIndex]];
        if (m.index == 0 || m.suspended || m.roles & Roles.PROVIDER == 0) return false;
        return _scopes[memberIndex][_schemaCategories[schemaIndex_]] > block.timestamp;
    }

    /// @inheritdoc IConsortium
    function hasActiveRole(uint32 memberIndex, uint8 role) external view returns (bool) {
        Member storage m = _members[_memberIds[memberIndex]];
        return m.index != 0 && !m.suspended && m.roles & role == role;
    }

    /// @inheritdoc IConsortium
    function schemaIndex(bytes32 schema) external view returns (uint32) {
        return _schemas[schema].index;
    }

    /// @inheritdoc IConsortium
    function modelScorer(bytes32 modelHash) external view returns (bytes32) {
        return _models[modelHash];
    }

    /// @inheritdoc IConsortium
    function member(bytes32 memberId_) external view returns (Member memory) {
        return _members[memberId_];
    }

    /// @inheritdoc IConsortium
    function memberId(uint32 memberIndex) external view returns (bytes32) {
        return _memberIds[memberIndex];
    }

    /// @inheritdoc IConsortium
    function keyOf(address key) external view returns (bytes32 memberId_, bool active) {
        KeyInfo memory k = _keys[key];
        return (_memberIds[k.member], k.active);
    }

    /// @inheritdoc IConsortium
    function scope(bytes32 memberId_, bytes32 category) external view returns (uint64) {
        return _scopes[_members[memberId_].index][category];
    }

    /// @inheritdoc IConsortium
    function parameter(bytes32 name) external view returns (uint64) {
        _checkParameterName(name);
        return _parameters[name];
    }

    // ----------------------------------------------------------------------------------------------
    // Internal: checks
    // ----------------------------------------------------------------------------------------------

    function _authorize(address key, uint8 role) private view returns (uint32 index, bytes32 id) {
        (index, id) = _activeMemberOf(key);
        if (_members[id].roles & role != role) revert ConsortiumMissingRole(id, role);
    }

    function _activeMemberOf(address key) private view returns (uint32 index, bytes32 id) {
        KeyInfo memory k = _keys[key];
        if (k.member == 0) revert ConsortiumUnknownKey(key);
        if (!k.active) revert ConsortiumKeyRevoked(key);
        id = _memberIds[k.member];
        if (_members[id].suspended) revert ConsortiumMemberSuspended(id);
        index = k.member;
    }

    function _existing(bytes32 id) private view returns (Member storage m) {
        m = _members[id];
        if (m.index == 0) revert ConsortiumUnknownMember(id);
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert ConsortiumInvalidRoles(roles);
    }

    function _checkNewKey(address key) private view {
        if (key == address(0)) revert ConsortiumInvalidKey(key);
        if (_keys[key].member != 0) revert ConsortiumKeyInUse(key);
    }

    function _checkAdmission(bytes32 id, string memory name, uint8 roles, address[] memory keys) private view {
        if (id == bytes32(0) || bytes(name).length == 0 || keys.length == 0) revert ConsortiumInvalidMember(id);
        if (_members[id].index != 0) revert ConsortiumMemberExists(id);
        _checkRoles(roles);
        for (uint256 i = 0; i < keys.length; ++i) {
            _checkNewKey(keys[i]);
            for (uint256 j = 0; j < i; ++j) {
                if (keys[j] == keys[i]) revert ConsortiumKeyInUse(keys[i]);
            }
        }
    }

    function _checkScope(bytes32 id, bytes32 category, uint64 expiresAt) private view {
        Member storage m = _existing(id);
        if (category == bytes32(0) || (expiresAt != 0 && m.roles & Roles.PROVIDER == 0)) {
            revert ConsortiumInvalidScope(id, category, expiresAt);
        }
    }

    function _checkKeyRevocation(bytes32 id, address key) private view {
        Member storage m = _existing(id);
        KeyInfo memory k = _keys[key];
        if (k.member != m.index) revert ConsortiumUnknownKey(key);
        if (!k.active) revert ConsortiumKeyRevoked(key);
        if (m.keyCount == 1) revert ConsortiumLastKey(id);
    }

    /// @dev Governance must keep one active member at least, or nobody could ever vote again.
    function _checkSuspension(bytes32 id) private view {
        if (_existing(id).suspended) revert ConsortiumMemberSuspended(id);
        if (_activeMembers == 1) revert ConsortiumLastActiveMember(id);
    }

    function _checkThreshold(uint32 newThreshold) private view {
        if (newThreshold == 0 || newThreshold > _activeMembers) {
            revert ConsortiumInvalidThreshold(newThreshold, _activeMembers);
        }
    }

    function _checkParameterName(bytes32 name) private pure {
        if (
            name != _DISPUTE_PERIOD &&
            name != _REPAIR_MINOR &&
            name != _REPAIR_GENERAL &&
            name != _REPAIR_SERIOUS &&
            name != _VOTING_PERIOD
        ) revert ConsortiumUnknownParameter(name);
    }

    function _checkParameter(bytes32 name, uint64 value) private pure {
        _checkParameterName(name);
        // a vote or a dispute needs at least an hour; no period beyond ten years
        bool needsTime = name == _DISPUTE_PERIOD || name == _VOTING_PERIOD;
        if (value > _MAX_PERIOD || (needsTime && value < 1 hours)) revert ConsortiumInvalidParameter(name, value);
    }

    // ----------------------------------------------------------------------------------------------
    // Internal: state changes (each emits its event)
    // ----------------------------------------------------------------------------------------------

    function _admit(bytes32 id, string memory name, uint8 roles, address[] memory keys) private {
        _checkAdmission(id, name, roles, keys);
        uint32 index = ++_memberCount;
        _members[id] = Member({
            index: index,
            roles: roles,
            suspended: false,
            admittedAt: uint40(block.timestamp),
            keyCount: uint32(keys.length)
        });
        _memberIds[index] = id;
        ++_activeMembers;
        for (uint256 i = 0; i < keys.length; ++i) {
            _keys[keys[i]] = KeyInfo({member: index, active: true});
        }
        emit MemberAdmitted(id, index, name, roles, keys);
    }

    function _setRoles(bytes32 id, uint8 roles) private {
        _checkRoles(roles);
        _existing(id).roles = roles;
        emit MemberRolesChanged(id, roles);
    }

    function _setScope(bytes32 id, bytes32 category, uint64 expiresAt) private {
        _checkScope(id, category, expiresAt);
        _scopes[_members[id].index][category] = expiresAt;
        emit ScopeSet(id, category, expiresAt);
    }

    function _setSuspended(bytes32 id, bool suspended) private {
        Member storage m = _existing(id);
        if (suspended) {
            _checkSuspension(id);
            --_activeMembers;
            emit MemberSuspended(id);
        } else {
            if (!m.suspended) revert ConsortiumMemberNotSuspended(id);
            ++_activeMembers;
            emit MemberReinstated(id);
        }
        m.suspended = suspended;
    }

    function _addKey(bytes32 id, address key) private {
        Member storage m = _existing(id);
        _checkNewKey(key);
        _keys[key] = KeyInfo({member: m.index, active: true});
        ++m.keyCount;
        emit KeyAdded(id, key);
    }

    function _revokeKey(bytes32 id, address key) private {
        _checkKeyRevocation(id, key);
        _keys[key].active = false;
        --_members[id].keyCount;
        emit KeyRevoked(id, key, msg.sender);
    }

    function _setThreshold(uint32 newThreshold) private {
        _checkThreshold(newThreshold);
        _threshold = newThreshold;
        emit ThresholdChanged(newThreshold);
    }

    function _setParameter(bytes32 name, uint64 value) private {
        _checkParameter(name, value);
        _parameters[name] = value;
        emit ParameterChanged(name, value);
    }
}
