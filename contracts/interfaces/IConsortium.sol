// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice Membership, signing keys, provider accreditation, schemas, scoring models and the M-of-N
/// governance that changes them. No single admin key: after the founding members are set in the
/// constructor, every change of membership goes through a proposal that enough members approve.
interface IConsortium {
    /// @notice What a governance proposal does. Its payload is `abi.encode` of the listed values.
    enum ActionKind {
        /// (bytes32 member, string name, uint8 roles, address[] keys)
        Admit,
        /// (bytes32 member, uint8 roles)
        SetRoles,
        /// (bytes32 member, bytes32 category, uint64 expiresAt) — expiresAt 0 removes the scope
        SetScope,
        /// (bytes32 member)
        Suspend,
        /// (bytes32 member)
        Reinstate,
        /// (bytes32 member, address key)
        AddKey,
        /// (bytes32 member, address key)
        RevokeKey,
        /// (uint32 threshold)
        SetThreshold,
        /// (bytes32 name, uint64 value) — see {parameter}
        SetParameter
    }

    enum ProposalStatus {
        None,
        Open,
        Executed,
        Cancelled
    }

    /// @notice A founding member, set by the constructor (the bootstrap path).
    struct FoundingMember {
        bytes32 id;
        string name;
        uint8 roles;
        address[] keys;
        bytes32[] categories;
        uint64 scopeExpiresAt;
    }

    /// @notice A member as stored: index is the member's compact handle used by the registry.
    struct Member {
        uint32 index;
        uint8 roles;
        bool suspended;
        uint40 admittedAt;
        uint32 keyCount;
    }

    struct Proposal {
        uint32 proposer;
        uint32 approvals;
        uint40 createdAt;
        uint40 expiresAt;
        ProposalStatus status;
        ActionKind kind;
        bytes payload;
    }

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    error ConsortiumUnknownKey(address key);
    error ConsortiumKeyRevoked(address key);
    error ConsortiumKeyInUse(address key);
    error ConsortiumInvalidKey(address key);
    error ConsortiumLastKey(bytes32 member);
    error ConsortiumUnknownMember(bytes32 member);
    error ConsortiumMemberExists(bytes32 member);
    error ConsortiumInvalidMember(bytes32 member);
    error ConsortiumMemberSuspended(bytes32 member);
    error ConsortiumMemberNotSuspended(bytes32 member);
    error ConsortiumMissingRole(bytes32 member, uint8 role);
    error ConsortiumInvalidRoles(uint8 roles);
    error ConsortiumUnknownSchema(bytes32 schema);
    error ConsortiumSchemaExists(bytes32 schema);
    error ConsortiumInvalidSchema(bytes32 schema);
    error ConsortiumNotAccredited(bytes32 member, bytes32 category);
    error ConsortiumAccreditationExpired(bytes32 member, bytes32 category, uint64 expiredAt);
    error ConsortiumInvalidScope(bytes32 member, bytes32 category, uint64 expiresAt);
    error ConsortiumModelExists(bytes32 modelHash);
    error ConsortiumInvalidModel(bytes32 modelHash);
    error ConsortiumInvalidThreshold(uint32 threshold, uint32 members);
    error ConsortiumUnknownParameter(bytes32 name);
    error ConsortiumInvalidParameter(bytes32 name, uint64 value);
    error ConsortiumUnknownProposal(uint256 proposalId);
    error ConsortiumProposalClosed(uint256 proposalId);
    error ConsortiumProposalExpired(uint256 proposalId, uint64 expiredAt);
    error ConsortiumAlreadyVoted(uint256 proposalId, bytes32 member);
    error ConsortiumNotProposer(uint256 proposalId, bytes32 member);
    error ConsortiumInvalidAction(ActionKind kind);
    error ConsortiumNoFounders();
    error ConsortiumLastActiveMember(bytes32 member);
    error ConsortiumNotEnoughApprovals(uint256 proposalId, uint32 approvals, uint32 required);

    // ----------------------------------------------------------------------------------------------
    // Events — each carries what the indexer needs to rebuild membership from logs alone
    // ----------------------------------------------------------------------------------------------

    /// @notice A member was admitted (by the constructor or a proposal) with its roles and keys.
    event MemberAdmitted(bytes32 indexed member, uint32 index, string name, uint8 roles, address[] keys);
    /// @notice A member's roles were replaced.
    event MemberRolesChanged(bytes32 indexed member, uint8 roles);
    /// @notice A member was suspended: none of its keys can act.
    event MemberSuspended(bytes32 indexed member);
    /// @notice A suspended member was reinstated.
    event MemberReinstated(bytes32 indexed member);
    /// @notice A signing key was added to a member.
    event KeyAdded(bytes32 indexed member, address indexed key);
    /// @notice A member's key was revoked, by governance or by the member (`revokedBy`).
    event KeyRevoked(bytes32 indexed member, address indexed key, address revokedBy);
    /// @notice A provider's accreditation for a category was set (0 removes it).
    event ScopeSet(bytes32 indexed member, bytes32 indexed category, uint64 expiresAt);
    /// @notice An operator registered a schema; `definition` is its canonical JSON.
    event SchemaRegistered(
        bytes32 indexed schema,
        bytes32 indexed category,
        uint32 index,
        string categoryName,
        string definition,
        bytes32 registrant
    );
    /// @notice A scorer registered a scoring model.
    event ModelRegistered(bytes32 indexed modelHash, bytes32 indexed scorer, string uri);
    /// @notice The approvals a proposal needs changed.
    event ThresholdChanged(uint32 threshold);
    /// @notice A governed parameter changed.
    event ParameterChanged(bytes32 indexed name, uint64 value);
    /// @notice A member proposed a governance action.
    event ProposalCreated(
        uint256 indexed proposalId,
        bytes32 indexed proposer,
        ActionKind kind,
        bytes payload,
        uint64 expiresAt
    );
    /// @notice A member approved a proposal.
    event ProposalApproved(uint256 indexed proposalId, bytes32 indexed member, uint32 approvals, uint32 required);
    /// @notice A proposal reached its approvals and was carried out.
    event ProposalExecuted(uint256 indexed proposalId);
    /// @notice The proposer cancelled a proposal.
    event ProposalCancelled(uint256 indexed proposalId);

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @notice Proposes an action; the proposer's approval counts at once (and executes it when the
    /// threshold is 1). The payload is validated now and again at execution.
    /// @return proposalId sequential id, starting at 1
    function propose(ActionKind kind, bytes calldata payload) external returns (uint256 proposalId);

    /// @notice Approves an open proposal; executes it when approvals reach {requiredApprovals}.
    function approve(uint256 proposalId) external;

    /// @notice Executes an open proposal that already has enough approvals: needed when the required
    /// count dropped below its approvals after they were cast (a member was suspended meanwhile).
    function execute(uint256 proposalId) external;

    /// @notice The proposer withdraws its own open proposal.
    function cancel(uint256 proposalId) external;

    /// @notice Approvals needed to execute: min(threshold, active members).
    function requiredApprovals() external view returns (uint32);

    /// @notice The configured approval threshold.
    function threshold() external view returns (uint32);

    /// @notice Members not suspended.
    function activeMembers() external view returns (uint32);

    /// @notice A governance proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Whether a member approved a proposal.
    function hasApproved(uint256 proposalId, bytes32 member) external view returns (bool);

    // ----------------------------------------------------------------------------------------------
    // Member self-service
    // ----------------------------------------------------------------------------------------------

    /// @notice A member revokes one of its own keys at once (e.g. a compromised key). Adding a key
    /// needs governance ({ActionKind.AddKey}). The last active key cannot be revoked this way.
    function revokeOwnKey(address key) external;

    /// @notice An OPERATOR registers a schema. Its id is keccak256 of the canonical JSON definition
    /// (RFC 8785), which core/ produces; `categoryName` is the data category the schema belongs to.
    function registerSchema(string calldata categoryName, string calldata definition) external returns (bytes32);

    /// @notice A SCORER registers a scoring model by the hash of its canonical JSON document.
    function registerModel(bytes32 modelHash, string calldata uri) external;

    // ----------------------------------------------------------------------------------------------
    // Reads used by the registry and by clients
    // ----------------------------------------------------------------------------------------------

    /// @notice Resolves a signing key to an active member holding `role`; reverts otherwise.
    function authorize(address key, uint8 role) external view returns (uint32 memberIndex, bytes32 memberId);

    /// @notice Resolves a signing key to an active PROVIDER currently accredited for the category
    /// of `schema`; reverts otherwise.
    function authorizeProvider(
        address key,
        bytes32 schema
    ) external view returns (uint32 memberIndex, bytes32 memberId, uint32 schemaIndex);

    /// @notice Whether a member is active, a PROVIDER, and accredited now for a schema's category.
    function isAccredited(uint32 memberIndex, uint32 schemaIndex) external view returns (bool);

    /// @notice Whether a member is active and holds `role`.
    function hasActiveRole(uint32 memberIndex, uint8 role) external view returns (bool);

    /// @notice Whether a schema is registered; returns its index (0 when not).
    function schemaIndex(bytes32 schema) external view returns (uint32);

    /// @notice The member registered to `modelHash` as its scorer (0 when not registered).
    function modelScorer(bytes32 modelHash) external view returns (bytes32);

    /// @notice A member by id.
    function member(bytes32 memberId) external view returns (Member memory);

    /// @notice A member's id by its index.
    function memberId(uint32 memberIndex) external view returns (bytes32);

    /// @notice The member a key belongs to, and whether the key is active.
    function keyOf(address key) external view returns (bytes32 memberId, bool active);

    /// @notice A provider's accreditation expiry for a category (0 when none).
    function scope(bytes32 memberId, bytes32 category) external view returns (uint64 expiresAt);

    /// @notice Governed parameters (seconds): "disputePeriod", "repairPeriod.minor",
    /// "repairPeriod.general", "repairPeriod.serious", "votingPeriod" (names as bytes32 strings).
    function parameter(bytes32 name) external view returns (uint64);
}
