// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICreditRegistry
/// @notice Attestations of credit-record hashes, batch anchors, lineage (derived records), corrections,
/// disputes, credit repair and score batches. Record contents never come on chain: only the
/// pseudonymous subject id, the hash of the record's canonical JSON and metadata.
///
/// Ids are ledger-neutral (core/ids.ts computes the same):
/// - attestation uid = keccak256(abi.encode(ATTESTATION_TAG, schema, subject, dataHash, provider,
///   observedAt, expiresAt, severity)) — also the uid of a batch leaf, with the batch's schema and provider;
/// - derived uid = keccak256(abi.encode(DERIVATION_TAG, schema, subject, dataHash, deriver, modelHash,
///   observedAt, keccak256(abi.encode(inputUids))));
/// - batch leaf = OpenZeppelin StandardMerkleTree leaf of (bytes32 subject, bytes32 dataHash,
///   uint64 observedAt, uint64 expiresAt, uint8 severity); a batch is identified by its root;
/// - consent id = keccak256(abi.encode(CONSENT_TAG, lender, subject, purposeHash)).
interface ICreditRegistry {
    enum RecordStatus {
        None,
        Active,
        Revoked,
        Superseded
    }

    /// @notice Severity of a negative record; None for records that are not negative.
    enum Severity {
        None,
        Minor,
        General,
        Serious
    }

    enum DisputeStatus {
        None,
        Open,
        Answered,
        Withdrawn
    }

    enum DisputeOutcome {
        None,
        /// the record stands as attested
        Upheld,
        /// the provider corrects it (revoke or supersede)
        Corrected
    }

    enum RepairStatus {
        None,
        Requested,
        Approved,
        Rejected
    }

    /// @notice What a provider attests (and signs, for {attestBySig}).
    struct AttestationRequest {
        bytes32 schema;
        bytes32 subject;
        bytes32 dataHash;
        uint64 observedAt;
        uint64 expiresAt;
        uint8 severity;
    }

    /// @notice Authorisation for a relayed attestation, signed with EIP-712 by a provider key.
    struct Signature {
        address signer;
        uint256 nonce;
        uint64 deadline;
        bytes signature;
    }

    /// @notice A record inside an anchored batch, with its Merkle proof against the batch root.
    struct LeafInput {
        bytes32 root;
        bytes32 subject;
        bytes32 dataHash;
        uint64 observedAt;
        uint64 expiresAt;
        uint8 severity;
        bytes32[] proof;
    }

    struct DeriveRequest {
        bytes32 schema;
        bytes32 subject;
        bytes32 dataHash;
        bytes32 modelHash;
        uint64 observedAt;
        bytes32[] inputs;
        LeafInput[] leafInputs;
    }

    /// @notice One storage slot per record.
    struct Record {
        uint32 owner;
        uint32 schema;
        uint40 observedAt;
        uint40 expiresAt;
        uint8 severity;
        RecordStatus status;
        bool derived;
        bool disputed;
        bool repaired;
        /// a recorded batch leaf: revoking its batch revokes it too
        bool batchLeaf;
    }

    struct Batch {
        uint32 provider;
        uint32 schema;
        uint32 count;
        uint40 anchoredAt;
        bool revoked;
        bytes32 schemaId;
        bytes32 providerId;
    }

    struct Dispute {
        uint32 opener;
        uint32 seq;
        uint40 openedAt;
        uint40 deadline;
        DisputeStatus status;
        DisputeOutcome outcome;
    }

    struct Repair {
        uint32 requester;
        uint40 requestedAt;
        RepairStatus status;
    }

    /// @notice A lender's record of a subject's consent to read its data for one purpose.
    struct Consent {
        uint32 lender;
        uint40 grantedAt;
        uint40 expiresAt;
        bool revoked;
    }

    /// @notice A gateway node's anchor of its query audit log (a Merkle root of log entries).
    struct AuditAnchor {
        uint32 node;
        uint32 count;
        uint40 anchoredAt;
        uint40 fromTime;
        uint40 toTime;
    }

    struct ScoreBatch {
        uint32 scorer;
        uint32 count;
        uint40 anchoredAt;
        uint64 asOfBlock;
        bytes32 modelHash;
    }

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    error RegistryInvalidRecord(bytes32 subject, bytes32 dataHash);
    error RegistryInvalidTimes(uint64 observedAt, uint64 expiresAt);
    error RegistryInvalidSeverity(uint8 severity);
    error RegistryRecordExists(bytes32 uid);
    error RegistryUnknownRecord(bytes32 uid);
    error RegistryNotOwner(bytes32 uid, bytes32 member);
    error RegistryNotActive(bytes32 uid, RecordStatus status);
    error RegistrySignatureExpired(uint64 deadline);
    error RegistryNonceUsed(address signer, uint256 nonce);
    error RegistryInvalidSignature(address signer);
    error RegistryInvalidBatch(bytes32 root, uint32 count);
    error RegistryBatchExists(bytes32 root);
    error RegistryUnknownBatch(bytes32 root);
    error RegistryBatchRevoked(bytes32 root);
    error RegistryInvalidProof(bytes32 root, bytes32 leaf);
    error RegistryNoInputs();
    error RegistryTooManyInputs(uint256 count, uint256 max);
    error RegistryDuplicateInput(bytes32 uid);
    error RegistryInputMissing(bytes32 uid);
    error RegistryInputNotActive(bytes32 uid, RecordStatus status);
    error RegistryInputExpired(bytes32 uid, uint64 expiresAt);
    error RegistryInputNotAccredited(bytes32 uid);
    error RegistryUnknownModel(bytes32 modelHash);
    error RegistryDisputeOpen(bytes32 uid);
    error RegistryNoOpenDispute(bytes32 uid);
    error RegistryDisputeOverdue(bytes32 uid, uint64 deadline);
    error RegistryNotDisputeOpener(bytes32 uid, bytes32 member);
    error RegistryInvalidOutcome(uint8 outcome);
    error RegistryNotNegative(bytes32 uid);
    error RegistryAlreadyRepaired(bytes32 uid);
    error RegistryRepairPending(bytes32 uid);
    error RegistryNoRepairRequest(bytes32 uid);
    error RegistryRepairTooEarly(bytes32 uid, uint64 earliest);
    error RegistryNotAllowed(bytes32 member);
    error RegistryInvalidScoreBatch(bytes32 root, uint32 count);
    error RegistryScoreBatchExists(bytes32 root);
    error RegistryInvalidConsent(bytes32 subject, bytes32 purposeHash, uint64 expiresAt);
    error RegistryNoConsent(bytes32 consentId);
    error RegistryInvalidAuditAnchor(bytes32 root, uint32 count);
    error RegistryAuditAnchorExists(bytes32 root);

    // ----------------------------------------------------------------------------------------------
    // Events — the full payload of each operation, so the indexer rebuilds from logs alone
    // ----------------------------------------------------------------------------------------------

    /// @notice A provider attested a record (signed by `signer`; `relayer` is zero unless relayed).
    event Attested(
        bytes32 indexed uid,
        bytes32 indexed subject,
        bytes32 indexed schema,
        bytes32 provider,
        bytes32 dataHash,
        uint64 observedAt,
        uint64 expiresAt,
        uint8 severity,
        address signer,
        address relayer
    );
    /// @notice A provider anchored a Merkle root over `count` record leaves of one schema.
    event BatchAnchored(
        bytes32 indexed root,
        bytes32 indexed provider,
        bytes32 indexed schema,
        uint32 count,
        string uri,
        address signer
    );
    /// @notice A provider revoked a whole batch.
    event BatchRevoked(bytes32 indexed root, bytes32 indexed provider, bytes32 reasonHash, address signer);
    /// @notice A batch leaf got its own record (to be revoked, superseded, disputed or repaired).
    event LeafRecorded(
        bytes32 indexed uid,
        bytes32 indexed root,
        bytes32 indexed subject,
        bytes32 dataHash,
        uint64 observedAt,
        uint64 expiresAt,
        uint8 severity
    );
    /// @notice A scorer recorded a derived record with its inputs and model.
    event Derived(
        bytes32 indexed uid,
        bytes32 indexed subject,
        bytes32 indexed schema,
        bytes32 deriver,
        bytes32 dataHash,
        bytes32 modelHash,
        uint64 observedAt,
        bytes32[] inputs,
        address signer
    );
    /// @notice The owner of a record revoked it.
    event Revoked(bytes32 indexed uid, bytes32 indexed owner, bytes32 reasonHash, address signer);
    /// @notice The owner of a record replaced it by `newUid`.
    event Superseded(bytes32 indexed uid, bytes32 indexed newUid, bytes32 indexed owner, address signer);
    /// @notice A lender opened a dispute on a record.
    event DisputeOpened(
        bytes32 indexed uid,
        bytes32 indexed opener,
        uint32 seq,
        bytes32 reasonHash,
        uint64 openedAt,
        uint64 deadline,
        address signer
    );
    /// @notice The record's owner answered a dispute.
    event DisputeAnswered(
        bytes32 indexed uid,
        bytes32 indexed provider,
        uint32 seq,
        DisputeOutcome outcome,
        bytes32 responseHash,
        address signer
    );
    /// @notice The opener withdrew a dispute.
    event DisputeWithdrawn(bytes32 indexed uid, bytes32 indexed opener, uint32 seq, address signer);
    /// @notice A member requested the repair of a negative record.
    event RepairRequested(
        bytes32 indexed uid,
        bytes32 indexed requester,
        bytes32 evidenceHash,
        uint64 requestedAt,
        address signer
    );
    /// @notice A repair authority approved or rejected a requested repair.
    event RepairDecided(
        bytes32 indexed uid,
        bytes32 indexed authority,
        bool approved,
        bytes32 decisionHash,
        address signer
    );
    /// @notice A lender recorded (or renewed) a subject's consent for a purpose until `expiresAt`.
    event ConsentRecorded(
        bytes32 indexed consentId,
        bytes32 indexed subject,
        bytes32 indexed lender,
        bytes32 purposeHash,
        uint64 expiresAt,
        bytes32 evidenceHash,
        address signer
    );
    /// @notice A lender withdrew a consent it recorded.
    event ConsentRevoked(bytes32 indexed consentId, bytes32 indexed subject, bytes32 indexed lender, address signer);
    /// @notice A gateway node anchored `count` entries of its query audit log, logged between the two times.
    event AuditAnchored(
        bytes32 indexed root,
        bytes32 indexed node,
        uint32 count,
        uint64 fromTime,
        uint64 toTime,
        address signer
    );
    /// @notice A scorer anchored a Merkle root of score leaves.
    event ScoreBatchAnchored(
        bytes32 indexed root,
        bytes32 indexed scorer,
        bytes32 indexed modelHash,
        uint32 count,
        uint64 asOfBlock,
        address signer
    );

    // ----------------------------------------------------------------------------------------------
    // Attest
    // ----------------------------------------------------------------------------------------------

    /// @notice Attests one record; the caller is a key of an accredited PROVIDER.
    function attest(AttestationRequest calldata request) external returns (bytes32 uid);

    /// @notice Attests several records in one transaction (same rules as {attest}, all or nothing).
    function attestMany(AttestationRequest[] calldata requests) external returns (bytes32[] memory uids);

    /// @notice Attests a record signed (EIP-712 `Attest`) by a provider key; anyone may relay it.
    /// The signature is bound to this contract and chain, used once (nonce) and before its deadline.
    function attestBySig(AttestationRequest calldata request, Signature calldata sig) external returns (bytes32 uid);

    /// @notice Anchors a batch: one Merkle root over `count` record leaves of one schema.
    function anchorBatch(bytes32 schema, bytes32 root, uint32 count, string calldata uri) external;

    /// @notice Gives a batch leaf its own record, after checking its proof (anyone may call).
    function recordLeaf(LeafInput calldata leaf) external returns (bytes32 uid);

    /// @notice Whether `leaf` is in anchored batch `leaf.root` (the proof checks and the batch exists).
    function verifyLeaf(LeafInput calldata leaf) external view returns (bool);

    // ----------------------------------------------------------------------------------------------
    // Lineage and correction
    // ----------------------------------------------------------------------------------------------

    /// @notice A SCORER records a derived record (a score, an index) with its inputs and transform.
    /// Every input must exist, be active, unexpired, and from a currently accredited provider (or an
    /// active scorer, for a derived input); otherwise the call reverts naming the input.
    function derive(DeriveRequest calldata request) external returns (bytes32 uid);

    /// @notice The owner of a record revokes it.
    function revoke(bytes32 uid, bytes32 reasonHash) external;

    /// @notice The provider of a batch revokes the whole batch: every leaf stops counting, recorded
    /// leaves included ({record} then reports them revoked).
    function revokeBatch(bytes32 root, bytes32 reasonHash) external;

    /// @notice The provider replaces one of its records by a new attestation; the old points to the new.
    function supersede(bytes32 uid, AttestationRequest calldata replacement) external returns (bytes32 newUid);

    // ----------------------------------------------------------------------------------------------
    // Disputes and repair
    // ----------------------------------------------------------------------------------------------

    /// @notice A LENDER opens a dispute on a record on the subject's behalf. The record's owner (its
    /// provider, or the scorer of a derived record) must answer within the "disputePeriod" parameter
    /// (20 days by default). A new dispute may be opened once the previous one is answered,
    /// withdrawn, or overdue.
    function openDispute(bytes32 uid, bytes32 reasonHash) external;

    /// @notice The record's owner answers an open dispute before its deadline.
    function answerDispute(bytes32 uid, DisputeOutcome outcome, bytes32 responseHash) external;

    /// @notice The member that opened a dispute withdraws it.
    function withdrawDispute(bytes32 uid) external;

    /// @notice A PROVIDER, LENDER or REPAIR_AUTHORITY requests the repair of a negative record on the
    /// subject's behalf.
    function requestRepair(bytes32 uid, bytes32 evidenceHash) external;

    /// @notice A REPAIR_AUTHORITY approves or rejects a requested repair. Approval needs the minimum
    /// period for the record's severity to have passed since the behaviour (observedAt).
    function decideRepair(bytes32 uid, bool approved, bytes32 decisionHash) external;

    // ----------------------------------------------------------------------------------------------
    // Scores
    // ----------------------------------------------------------------------------------------------

    /// @notice A SCORER anchors one Merkle root over `count` score leaves computed with `modelHash`.
    function anchorScoreBatch(bytes32 root, bytes32 modelHash, uint32 count, uint64 asOfBlock) external;

    // ----------------------------------------------------------------------------------------------
    // Consent and query audit
    // ----------------------------------------------------------------------------------------------

    /// @notice A LENDER records that a subject consented to its reading the subject's data for a
    /// purpose, until `expiresAt` (recording again renews it). `evidenceHash` commits to the signed
    /// consent document kept off the ledger.
    function recordConsent(
        bytes32 subject,
        bytes32 purposeHash,
        uint64 expiresAt,
        bytes32 evidenceHash
    ) external returns (bytes32 consentId);

    /// @notice The lender withdraws a consent it recorded.
    function revokeConsent(bytes32 subject, bytes32 purposeHash) external;

    /// @notice An OPERATOR's gateway node anchors a Merkle root over `count` entries of its query
    /// audit log (who read which subject, when, for what purpose) logged from `fromTime` to `toTime`.
    function anchorAuditLog(bytes32 root, uint32 count, uint64 fromTime, uint64 toTime) external;

    // ----------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------

    /// @notice A record, with the status it has now (a recorded leaf of a revoked batch is Revoked).
    function record(bytes32 uid) external view returns (Record memory);

    /// @notice The record that replaced `uid` (zero when none).
    function supersededBy(bytes32 uid) external view returns (bytes32);

    /// @notice A record batch by its root.
    function batch(bytes32 root) external view returns (Batch memory);

    /// @notice The latest dispute on a record.
    function dispute(bytes32 uid) external view returns (Dispute memory);

    /// @notice The latest repair request on a record.
    function repair(bytes32 uid) external view returns (Repair memory);

    /// @notice A score batch by its root.
    function scoreBatch(bytes32 root) external view returns (ScoreBatch memory);

    /// @notice A consent by its id.
    function consent(bytes32 consentId) external view returns (Consent memory);

    /// @notice Whether `lender`'s consent for `subject` and `purposeHash` is in force now.
    function hasConsent(bytes32 lender, bytes32 subject, bytes32 purposeHash) external view returns (bool);

    /// @notice An audit-log anchor by its root.
    function auditAnchor(bytes32 root) external view returns (AuditAnchor memory);

    /// @notice Whether a signer's EIP-712 nonce is used.
    function nonceUsed(address signer, uint256 nonce) external view returns (bool);

    /// @notice The Consortium this registry asks for authorisation.
    function consortium() external view returns (address);
}
