// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IConsortium} from "./interfaces/IConsortium.sol";
import {ICreditRegistry} from "./interfaces/ICreditRegistry.sol";
import {Roles} from "./libraries/Roles.sol";
import {Tags} from "./libraries/Tags.sol";

/// @title CreditRegistry
/// @notice Credit-record attestations and everything that happens to them. Authorisation (who is a
/// member, with which roles, accredited for which categories) is asked of the {IConsortium}.
/// @dev Single, batch and signed entry points funnel into {_attest}; every record is one storage slot.
contract CreditRegistry is ICreditRegistry, EIP712, ERC2771Context {
    /// @dev keccak256 of the EIP-712 `Attest` type; core/eip712.ts holds the same definition.
    bytes32 private constant _ATTEST_TYPEHASH = keccak256(
        "Attest(bytes32 schema,bytes32 subject,bytes32 dataHash,uint64 observedAt,uint64 expiresAt,uint8 severity,"
        "uint256 nonce,uint64 deadline)"
    );
    /// @dev Clock skew tolerated between a provider's observation time and the chain.
    uint64 private constant _MAX_CLOCK_SKEW = 1 hours;
    /// @dev Inputs of one derived record at most.
    uint256 private constant _MAX_INPUTS = 128;
    uint8 private constant _MAX_SEVERITY = uint8(type(Severity).max);
    uint8 private constant _REPAIR_REQUESTERS = Roles.PROVIDER | Roles.LENDER | Roles.REPAIR_AUTHORITY;

    IConsortium private immutable _consortium;

    mapping(bytes32 uid => Record record) private _records;
    mapping(bytes32 uid => bytes32 newUid) private _supersededBy;
    mapping(bytes32 root => Batch batch) private _batches;
    mapping(bytes32 uid => bytes32 root) private _leafRoots;
    mapping(bytes32 uid => Dispute dispute) private _disputes;
    mapping(bytes32 uid => Repair repair) private _repairs;
    mapping(bytes32 root => ScoreBatch scoreBatch) private _scoreBatches;
    mapping(bytes32 consentId => Consent consent) private _consents;
    mapping(bytes32 root => AuditAnchor anchor) private _auditAnchors;
    mapping(address signer => mapping(uint256 word => uint256 bits)) private _nonces;

    /// @notice Binds the registry to its consortium and to the forwarder it trusts.
    /// @param consortium_ the Consortium that says who callers are
    /// @param trustedForwarder_ the ERC-2771 forwarder that may call on a member key's behalf (the
    /// gateway relays members' signed requests through it); address(0) for none.
    constructor(
        IConsortium consortium_,
        address trustedForwarder_
    ) EIP712("credtrail", "1") ERC2771Context(trustedForwarder_) {
        _consortium = consortium_;
    }

    // ----------------------------------------------------------------------------------------------
    // Attest
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function attest(AttestationRequest calldata request) external returns (bytes32) {
        return _attest(request, _msgSender(), address(0));
    }

    /// @inheritdoc ICreditRegistry
    function attestMany(AttestationRequest[] calldata requests) external returns (bytes32[] memory uids) {
        uids = new bytes32[](requests.length);
        for (uint256 i = 0; i < requests.length; ++i) {
            uids[i] = _attest(requests[i], _msgSender(), address(0));
        }
    }

    /// @inheritdoc ICreditRegistry
    function attestBySig(AttestationRequest calldata request, Signature calldata sig) external returns (bytes32) {
        if (block.timestamp > sig.deadline) revert RegistrySignatureExpired(sig.deadline);
        _useNonce(sig.signer, sig.nonce);
        address recovered = ECDSA.recover(hashAttest(request, sig.nonce, sig.deadline), sig.signature);
        if (recovered != sig.signer) revert RegistryInvalidSignature(sig.signer);
        return _attest(request, sig.signer, _msgSender());
    }

    /// @notice The EIP-712 digest a provider signs for {attestBySig}.
    function hashAttest(
        AttestationRequest calldata request,
        uint256 nonce,
        uint64 deadline
    ) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        _ATTEST_TYPEHASH,
                        request.schema,
                        request.subject,
                        request.dataHash,
                        request.observedAt,
                        request.expiresAt,
                        request.severity,
                        nonce,
                        deadline
                    )
                )
            );
    }

    /// @notice The ledger-neutral uid of an attestation by `provider` (see the interface comment).
    function attestationUid(AttestationRequest calldata request, bytes32 provider) public pure returns (bytes32) {
        return
            _attestationUid(
                request.schema,
                provider,
                request.subject,
                request.dataHash,
                request.observedAt,
                request.expiresAt,
                request.severity
            );
    }

    /// @inheritdoc ICreditRegistry
    function anchorBatch(bytes32 schema, bytes32 root, uint32 count, string calldata uri) external {
        (uint32 provider, bytes32 providerId, uint32 schemaIndex) = _consortium.authorizeProvider(_msgSender(), schema);
        if (root == bytes32(0) || count == 0) revert RegistryInvalidBatch(root, count);
        if (_batches[root].provider != 0) revert RegistryBatchExists(root);
        _batches[root] = Batch({
            provider: provider,
            schema: schemaIndex,
            count: count,
            anchoredAt: uint40(block.timestamp),
            revoked: false,
            schemaId: schema,
            providerId: providerId
        });
        emit BatchAnchored(root, providerId, schema, count, uri, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function recordLeaf(LeafInput calldata leaf) external returns (bytes32 uid) {
        Batch storage b = _liveBatch(leaf.root);
        uid = _leafUid(b, leaf);
        if (_records[uid].status != RecordStatus.None) revert RegistryRecordExists(uid);
        _records[uid] = Record({
            owner: b.provider,
            schema: b.schema,
            observedAt: uint40(leaf.observedAt),
            expiresAt: uint40(leaf.expiresAt),
            severity: leaf.severity,
            status: RecordStatus.Active,
            derived: false,
            disputed: false,
            repaired: false,
            batchLeaf: true
        });
        _leafRoots[uid] = leaf.root;
        emit LeafRecorded(uid, leaf.root, leaf.subject, leaf.dataHash, leaf.observedAt, leaf.expiresAt, leaf.severity);
    }

    /// @inheritdoc ICreditRegistry
    function verifyLeaf(LeafInput calldata leaf) external view returns (bool) {
        Batch storage b = _batches[leaf.root];
        return b.provider != 0 && MerkleProof.verifyCalldata(leaf.proof, leaf.root, _leafHash(leaf));
    }

    // ----------------------------------------------------------------------------------------------
    // Lineage and correction
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function derive(DeriveRequest calldata request) external returns (bytes32 uid) {
        (uint32 deriver, bytes32 deriverId) = _consortium.authorize(_msgSender(), Roles.SCORER);
        uint32 schemaIndex = _consortium.schemaIndex(request.schema);
        if (schemaIndex == 0) revert IConsortium.ConsortiumUnknownSchema(request.schema);
        if (_consortium.modelScorer(request.modelHash) == bytes32(0)) revert RegistryUnknownModel(request.modelHash);
        _checkRecordFields(request.subject, request.dataHash, request.observedAt, 0, 0);
        bytes32[] memory inputs = _checkInputs(request.inputs, request.leafInputs);
        uid = keccak256(
            abi.encode(
                Tags.DERIVATION,
                request.schema,
                request.subject,
                request.dataHash,
                deriverId,
                request.modelHash,
                request.observedAt,
                keccak256(abi.encode(inputs))
            )
        );
        if (_records[uid].status != RecordStatus.None) revert RegistryRecordExists(uid);
        _records[uid] = Record({
            owner: deriver,
            schema: schemaIndex,
            observedAt: uint40(request.observedAt),
            expiresAt: 0,
            severity: 0,
            status: RecordStatus.Active,
            derived: true,
            disputed: false,
            repaired: false,
            batchLeaf: false
        });
        emit Derived(
            uid,
            request.subject,
            request.schema,
            deriverId,
            request.dataHash,
            request.modelHash,
            request.observedAt,
            inputs,
            _msgSender()
        );
    }

    /// @inheritdoc ICreditRegistry
    function revoke(bytes32 uid, bytes32 reasonHash) external {
        (Record storage r, bytes32 owner) = _ownedActive(uid);
        r.status = RecordStatus.Revoked;
        emit Revoked(uid, owner, reasonHash, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function revokeBatch(bytes32 root, bytes32 reasonHash) external {
        Batch storage b = _liveBatch(root);
        (uint32 caller, bytes32 callerId) = _consortium.authorize(_msgSender(), Roles.PROVIDER);
        if (b.provider != caller) revert RegistryNotOwner(root, callerId);
        b.revoked = true;
        emit BatchRevoked(root, callerId, reasonHash, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function supersede(bytes32 uid, AttestationRequest calldata replacement) external returns (bytes32 newUid) {
        (Record storage r, bytes32 owner) = _ownedActive(uid);
        if (r.derived) revert RegistryNotActive(uid, r.status);
        newUid = _attest(replacement, _msgSender(), address(0));
        r.status = RecordStatus.Superseded;
        _supersededBy[uid] = newUid;
        emit Superseded(uid, newUid, owner, _msgSender());
    }

    // ----------------------------------------------------------------------------------------------
    // Disputes and repair
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function openDispute(bytes32 uid, bytes32 reasonHash) external {
        (uint32 opener, bytes32 openerId) = _consortium.authorize(_msgSender(), Roles.LENDER);
        Record storage r = _existingRecord(uid);
        RecordStatus status = _statusOf(uid, r);
        if (status != RecordStatus.Active) revert RegistryNotActive(uid, status);
        Dispute storage d = _disputes[uid];
        if (d.status == DisputeStatus.Open && block.timestamp <= d.deadline) revert RegistryDisputeOpen(uid);
        uint40 deadline = uint40(block.timestamp + _consortium.parameter("disputePeriod"));
        uint32 seq = d.seq + 1;
        _disputes[uid] = Dispute({
            opener: opener,
            seq: seq,
            openedAt: uint40(block.timestamp),
            deadline: deadline,
            status: DisputeStatus.Open,
            outcome: DisputeOutcome.None
        });
        r.disputed = true;
        emit DisputeOpened(uid, openerId, seq, reasonHash, uint64(block.timestamp), deadline, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function answerDispute(bytes32 uid, DisputeOutcome outcome, bytes32 responseHash) external {
        if (outcome == DisputeOutcome.None) revert RegistryInvalidOutcome(uint8(outcome));
        Record storage r = _existingRecord(uid);
        // the record's owner answers: the provider of an attestation, the scorer of a derived record
        (uint32 caller, bytes32 callerId) = _consortium.authorize(
            _msgSender(),
            r.derived ? Roles.SCORER : Roles.PROVIDER
        );
        if (r.owner != caller) revert RegistryNotOwner(uid, callerId);
        Dispute storage d = _openDispute(uid);
        if (block.timestamp > d.deadline) revert RegistryDisputeOverdue(uid, d.deadline);
        d.status = DisputeStatus.Answered;
        d.outcome = outcome;
        r.disputed = false;
        emit DisputeAnswered(uid, callerId, d.seq, outcome, responseHash, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function withdrawDispute(bytes32 uid) external {
        (uint32 caller, bytes32 callerId) = _consortium.authorize(_msgSender(), Roles.LENDER);
        Dispute storage d = _openDispute(uid);
        if (d.opener != caller) revert RegistryNotDisputeOpener(uid, callerId);
        d.status = DisputeStatus.Withdrawn;
        _records[uid].disputed = false;
        emit DisputeWithdrawn(uid, callerId, d.seq, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function requestRepair(bytes32 uid, bytes32 evidenceHash) external {
        (uint32 requester, bytes32 requesterId) = _memberWithAnyRole(_REPAIR_REQUESTERS);
        _repairable(uid);
        if (_repairs[uid].status == RepairStatus.Requested) revert RegistryRepairPending(uid);
        _repairs[uid] = Repair({
            requester: requester,
            requestedAt: uint40(block.timestamp),
            status: RepairStatus.Requested
        });
        emit RepairRequested(uid, requesterId, evidenceHash, uint64(block.timestamp), _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function decideRepair(bytes32 uid, bool approved, bytes32 decisionHash) external {
        (, bytes32 authority) = _consortium.authorize(_msgSender(), Roles.REPAIR_AUTHORITY);
        Record storage r = _repairable(uid);
        Repair storage p = _repairs[uid];
        if (p.status != RepairStatus.Requested) revert RegistryNoRepairRequest(uid);
        if (approved) {
            uint64 earliest = uint64(r.observedAt) + _consortium.parameter(_repairPeriodName(r.severity));
            if (block.timestamp < earliest) revert RegistryRepairTooEarly(uid, earliest);
            r.repaired = true;
            p.status = RepairStatus.Approved;
        } else {
            p.status = RepairStatus.Rejected;
        }
        emit RepairDecided(uid, authority, approved, decisionHash, _msgSender());
    }

    // ----------------------------------------------------------------------------------------------
    // Scores
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function anchorScoreBatch(bytes32 root, bytes32 modelHash, uint32 count, uint64 asOfBlock) external {
        (uint32 scorer, bytes32 scorerId) = _consortium.authorize(_msgSender(), Roles.SCORER);
        if (_consortium.modelScorer(modelHash) == bytes32(0)) revert RegistryUnknownModel(modelHash);
        if (root == bytes32(0) || count == 0 || asOfBlock > block.number) revert RegistryInvalidScoreBatch(root, count);
        if (_scoreBatches[root].scorer != 0) revert RegistryScoreBatchExists(root);
        _scoreBatches[root] = ScoreBatch({
            scorer: scorer,
            count: count,
            anchoredAt: uint40(block.timestamp),
            asOfBlock: asOfBlock,
            modelHash: modelHash
        });
        emit ScoreBatchAnchored(root, scorerId, modelHash, count, asOfBlock, _msgSender());
    }

    // ----------------------------------------------------------------------------------------------
    // Consent and query audit
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function recordConsent(
        bytes32 subject,
        bytes32 purposeHash,
        uint64 expiresAt,
        bytes32 evidenceHash
    ) external returns (bytes32 consentId) {
        (uint32 lender, bytes32 lenderId) = _consortium.authorize(_msgSender(), Roles.LENDER);
        if (subject == bytes32(0) || purposeHash == bytes32(0) || expiresAt <= block.timestamp) {
            revert RegistryInvalidConsent(subject, purposeHash, expiresAt);
        }
        if (expiresAt > type(uint40).max) revert RegistryInvalidConsent(subject, purposeHash, expiresAt);
        consentId = _consentId(lenderId, subject, purposeHash);
        _consents[consentId] = Consent({
            lender: lender,
            grantedAt: uint40(block.timestamp),
            expiresAt: uint40(expiresAt),
            revoked: false
        });
        emit ConsentRecorded(consentId, subject, lenderId, purposeHash, expiresAt, evidenceHash, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function revokeConsent(bytes32 subject, bytes32 purposeHash) external {
        (, bytes32 lenderId) = _consortium.authorize(_msgSender(), Roles.LENDER);
        bytes32 consentId = _consentId(lenderId, subject, purposeHash);
        Consent storage c = _consents[consentId];
        if (c.lender == 0 || c.revoked) revert RegistryNoConsent(consentId);
        c.revoked = true;
        emit ConsentRevoked(consentId, subject, lenderId, _msgSender());
    }

    /// @inheritdoc ICreditRegistry
    function anchorAuditLog(bytes32 root, uint32 count, uint64 fromTime, uint64 toTime) external {
        (uint32 node, bytes32 nodeId) = _consortium.authorize(_msgSender(), Roles.OPERATOR);
        if (root == bytes32(0) || count == 0 || fromTime > toTime || toTime > block.timestamp) {
            revert RegistryInvalidAuditAnchor(root, count);
        }
        if (_auditAnchors[root].node != 0) revert RegistryAuditAnchorExists(root);
        _auditAnchors[root] = AuditAnchor({
            node: node,
            count: count,
            anchoredAt: uint40(block.timestamp),
            fromTime: uint40(fromTime),
            toTime: uint40(toTime)
        });
        emit AuditAnchored(root, nodeId, count, fromTime, toTime, _msgSender());
    }

    // ----------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc ICreditRegistry
    function consent(bytes32 consentId) external view returns (Consent memory) {
        return _consents[consentId];
    }

    /// @inheritdoc ICreditRegistry
    function hasConsent(bytes32 lender, bytes32 subject, bytes32 purposeHash) external view returns (bool) {
        Consent storage c = _consents[_consentId(lender, subject, purposeHash)];
        return c.lender != 0 && !c.revoked && c.expiresAt > block.timestamp;
    }

    /// @inheritdoc ICreditRegistry
    function auditAnchor(bytes32 root) external view returns (AuditAnchor memory) {
        return _auditAnchors[root];
    }

    /// @inheritdoc ICreditRegistry
    function record(bytes32 uid) external view returns (Record memory r) {
        r = _records[uid];
        r.status = _statusOf(uid, _records[uid]);
    }

    /// @inheritdoc ICreditRegistry
    function supersededBy(bytes32 uid) external view returns (bytes32) {
        return _supersededBy[uid];
    }

    /// @inheritdoc ICreditRegistry
    function batch(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc ICreditRegistry
    function dispute(bytes32 uid) external view returns (Dispute memory) {
        return _disputes[uid];
    }

    /// @inheritdoc ICreditRegistry
    function repair(bytes32 uid) external view returns (Repair memory) {
        return _repairs[uid];
    }

    /// @inheritdoc ICreditRegistry
    function scoreBatch(bytes32 root) external view returns (ScoreBatch memory) {
        return _scoreBatches[root];
    }

    /// @inheritdoc ICreditRegistry
    function nonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _nonces[signer][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc ICreditRegistry
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    // ----------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------

    /// @dev The one path every attestation takes: authorise the signer, check, store one slot, emit.
    function _attest(
        AttestationRequest calldata request,
        address signer,
        address relayer
    ) private returns (bytes32 uid) {
        (uint32 provider, bytes32 providerId, uint32 schemaIndex) = _consortium.authorizeProvider(
            signer,
            request.schema
        );
        _checkRecordFields(request.subject, request.dataHash, request.observedAt, request.expiresAt, request.severity);
        uid = _attestationUid(
            request.schema,
            providerId,
            request.subject,
            request.dataHash,
            request.observedAt,
            request.expiresAt,
            request.severity
        );
        if (_records[uid].status != RecordStatus.None) revert RegistryRecordExists(uid);
        _records[uid] = Record({
            owner: provider,
            schema: schemaIndex,
            observedAt: uint40(request.observedAt),
            expiresAt: uint40(request.expiresAt),
            severity: request.severity,
            status: RecordStatus.Active,
            derived: false,
            disputed: false,
            repaired: false,
            batchLeaf: false
        });
        emit Attested(
            uid,
            request.subject,
            request.schema,
            providerId,
            request.dataHash,
            request.observedAt,
            request.expiresAt,
            request.severity,
            signer,
            relayer
        );
    }

    function _checkRecordFields(
        bytes32 subject,
        bytes32 dataHash,
        uint64 observedAt,
        uint64 expiresAt,
        uint8 severity
    ) private view {
        if (subject == bytes32(0) || dataHash == bytes32(0)) revert RegistryInvalidRecord(subject, dataHash);
        // uint40 holds every timestamp until the year 36812; larger values are not dates
        if (
            observedAt == 0 ||
            observedAt > block.timestamp + _MAX_CLOCK_SKEW ||
            (expiresAt != 0 && (expiresAt <= observedAt || expiresAt > type(uint40).max))
        ) revert RegistryInvalidTimes(observedAt, expiresAt);
        if (severity > _MAX_SEVERITY) revert RegistryInvalidSeverity(severity);
    }

    function _attestationUid(
        bytes32 schema,
        bytes32 provider,
        bytes32 subject,
        bytes32 dataHash,
        uint64 observedAt,
        uint64 expiresAt,
        uint8 severity
    ) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(Tags.ATTESTATION, schema, subject, dataHash, provider, observedAt, expiresAt, severity)
            );
    }

    function _consentId(bytes32 lender, bytes32 subject, bytes32 purposeHash) private pure returns (bytes32) {
        return keccak256(abi.encode(Tags.CONSENT, lender, subject, purposeHash));
    }

    function _leafHash(LeafInput calldata leaf) private pure returns (bytes32) {
        // OpenZeppelin StandardMerkleTree leaf: double keccak of the abi-encoded values
        return
            keccak256(
                bytes.concat(
                    keccak256(abi.encode(leaf.subject, leaf.dataHash, leaf.observedAt, leaf.expiresAt, leaf.severity))
                )
            );
    }

    /// @dev Checks a leaf's proof and fields against its (live) batch and returns the leaf's uid.
    function _leafUid(Batch storage b, LeafInput calldata leaf) private view returns (bytes32) {
        bytes32 leafHash = _leafHash(leaf);
        if (!MerkleProof.verifyCalldata(leaf.proof, leaf.root, leafHash)) {
            revert RegistryInvalidProof(leaf.root, leafHash);
        }
        // the record rules of an attestation: a leaf is stored in the same uint40 slot fields
        _checkRecordFields(leaf.subject, leaf.dataHash, leaf.observedAt, leaf.expiresAt, leaf.severity);
        return
            _attestationUid(
                b.schemaId,
                b.providerId,
                leaf.subject,
                leaf.dataHash,
                leaf.observedAt,
                leaf.expiresAt,
                leaf.severity
            );
    }

    function _liveBatch(bytes32 root) private view returns (Batch storage b) {
        b = _batches[root];
        if (b.provider == 0) revert RegistryUnknownBatch(root);
        if (b.revoked) revert RegistryBatchRevoked(root);
    }

    /// @dev Checks every input of a derivation and returns their uids (stored inputs, then leaves).
    function _checkInputs(
        bytes32[] calldata stored,
        LeafInput[] calldata leaves
    ) private view returns (bytes32[] memory uids) {
        uint256 n = stored.length + leaves.length;
        if (n == 0) revert RegistryNoInputs();
        if (n > _MAX_INPUTS) revert RegistryTooManyInputs(n, _MAX_INPUTS);
        uids = new bytes32[](n);
        for (uint256 i = 0; i < stored.length; ++i) {
            bytes32 uid = stored[i];
            Record storage r = _records[uid];
            if (r.status == RecordStatus.None) revert RegistryInputMissing(uid);
            _checkStoredInput(uid, r);
            uids[i] = uid;
        }
        for (uint256 i = 0; i < leaves.length; ++i) {
            LeafInput calldata leaf = leaves[i];
            Batch storage b = _batches[leaf.root];
            if (b.provider == 0) revert RegistryUnknownBatch(leaf.root);
            bytes32 uid = _leafUid(b, leaf);
            Record storage r = _records[uid];
            if (r.status != RecordStatus.None) {
                // the leaf has its own record (revoked, superseded, ...): that record decides
                _checkStoredInput(uid, r);
            } else {
                if (b.revoked) revert RegistryInputNotActive(uid, RecordStatus.Revoked);
                if (leaf.expiresAt != 0 && leaf.expiresAt <= block.timestamp) {
                    revert RegistryInputExpired(uid, leaf.expiresAt);
                }
                if (!_consortium.isAccredited(b.provider, b.schema)) revert RegistryInputNotAccredited(uid);
            }
            uids[stored.length + i] = uid;
        }
        for (uint256 i = 1; i < n; ++i) {
            for (uint256 j = 0; j < i; ++j) {
                if (uids[i] == uids[j]) revert RegistryDuplicateInput(uids[i]);
            }
        }
    }

    function _checkStoredInput(bytes32 uid, Record storage r) private view {
        RecordStatus status = _statusOf(uid, r);
        if (status != RecordStatus.Active) revert RegistryInputNotActive(uid, status);
        if (r.expiresAt != 0 && r.expiresAt <= block.timestamp) revert RegistryInputExpired(uid, r.expiresAt);
        bool accredited =
            r.derived ? _consortium.hasActiveRole(r.owner, Roles.SCORER) : _consortium.isAccredited(r.owner, r.schema);
        if (!accredited) revert RegistryInputNotAccredited(uid);
    }

    /// @dev A record's status now: a recorded leaf of a revoked batch counts as revoked.
    function _statusOf(bytes32 uid, Record storage r) private view returns (RecordStatus) {
        if (r.batchLeaf && r.status == RecordStatus.Active && _batches[_leafRoots[uid]].revoked) {
            return RecordStatus.Revoked;
        }
        return r.status;
    }

    function _existingRecord(bytes32 uid) private view returns (Record storage r) {
        r = _records[uid];
        if (r.status == RecordStatus.None) revert RegistryUnknownRecord(uid);
    }

    /// @dev The caller's member must own the active record `uid` (providers their attestations,
    /// scorers their derived records).
    function _ownedActive(bytes32 uid) private view returns (Record storage r, bytes32 ownerId) {
        r = _existingRecord(uid);
        (uint32 caller, bytes32 callerId) = _consortium.authorize(
            _msgSender(),
            r.derived ? Roles.SCORER : Roles.PROVIDER
        );
        if (r.owner != caller) revert RegistryNotOwner(uid, callerId);
        RecordStatus status = _statusOf(uid, r);
        if (status != RecordStatus.Active) revert RegistryNotActive(uid, status);
        ownerId = callerId;
    }

    function _openDispute(bytes32 uid) private view returns (Dispute storage d) {
        d = _disputes[uid];
        if (d.status != DisputeStatus.Open) revert RegistryNoOpenDispute(uid);
    }

    function _repairable(bytes32 uid) private view returns (Record storage r) {
        r = _existingRecord(uid);
        if (r.severity == uint8(Severity.None)) revert RegistryNotNegative(uid);
        RecordStatus status = _statusOf(uid, r);
        if (status != RecordStatus.Active) revert RegistryNotActive(uid, status);
        if (r.repaired) revert RegistryAlreadyRepaired(uid);
    }

    function _memberWithAnyRole(uint8 roles) private view returns (uint32 index, bytes32 id) {
        (index, id) = _consortium.authorize(_msgSender(), 0);
        if (_consortium.member(id).roles & roles == 0) revert RegistryNotAllowed(id);
    }

    function _repairPeriodName(uint8 severity) private pure returns (bytes32) {
        if (severity == uint8(Severity.Minor)) return "repairPeriod.minor";
        if (severity == uint8(Severity.General)) return "repairPeriod.general";
        return "repairPeriod.serious";
    }

    /// @dev Unordered nonces: bit `nonce % 256` of word `nonce / 256`, each usable once.
    function _useNonce(address signer, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 word = _nonces[signer][nonce >> 8];
        if (word & bit != 0) revert RegistryNonceUsed(signer, nonce);
        _nonces[signer][nonce >> 8] = word | bit;
    }
}
