/**
 * The events both ledgers emit, in one ledger-neutral shape. Each type mirrors one Solidity event of
 * IConsortium or ICreditRegistry: `kind` is the event name and the other fields carry the event's
 * parameter names. bytes32 → lowercase Hex, uint64/uint256 → bigint, uint8/uint32 → number,
 * address → string (compare case-insensitively; ledger adapters emit checksummed addresses).
 *
 * The EVM adapter decodes logs into these; the Fabric chaincode emits them as JSON; the indexer
 * consumes only these.
 */
import type { Hex } from "./abiValues.js";
import type { ActionKind } from "./governance.js";
import type { DisputeOutcome } from "./ledgerEnums.js";

/** An account address as a string (checksum-agnostic). */
export type Address = string;

/** Where an event sits in the ledger. */
export interface EventPosition {
  blockNumber: bigint;
  blockHash: Hex;
  /** The transaction hash (EVM) or transaction id (Fabric). */
  txHash: Hex;
  /** Position of the event within its block. */
  logIndex: number;
  txIndex?: number;
}

// ------------------------------------------------------------------------------------------------
// IConsortium
// ------------------------------------------------------------------------------------------------

export interface MemberAdmittedEvent {
  kind: "MemberAdmitted";
  member: Hex;
  index: number;
  name: string;
  roles: number;
  keys: Address[];
}
export interface MemberRolesChangedEvent {
  kind: "MemberRolesChanged";
  member: Hex;
  roles: number;
}
export interface MemberSuspendedEvent {
  kind: "MemberSuspended";
  member: Hex;
}
export interface MemberReinstatedEvent {
  kind: "MemberReinstated";
  member: Hex;
}
export interface KeyAddedEvent {
  kind: "KeyAdded";
  member: Hex;
  key: Address;
}
export interface KeyRevokedEvent {
  kind: "KeyRevoked";
  member: Hex;
  key: Address;
  revokedBy: Address;
}
export interface ScopeSetEvent {
  kind: "ScopeSet";
  member: Hex;
  category: Hex;
  expiresAt: bigint;
}
export interface SchemaRegisteredEvent {
  kind: "SchemaRegistered";
  schema: Hex;
  category: Hex;
  index: number;
  categoryName: string;
  definition: string;
  registrant: Hex;
}
export interface ModelRegisteredEvent {
  kind: "ModelRegistered";
  modelHash: Hex;
  scorer: Hex;
  uri: string;
}
export interface ThresholdChangedEvent {
  kind: "ThresholdChanged";
  threshold: number;
}
export interface ParameterChangedEvent {
  kind: "ParameterChanged";
  /** The parameter name as bytes32 (see parameters.ts). */
  name: Hex;
  value: bigint;
}
export interface ProposalCreatedEvent {
  kind: "ProposalCreated";
  proposalId: bigint;
  proposer: Hex;
  /** IConsortium.ActionKind (the property `kind` names the event). */
  actionKind: ActionKind;
  payload: Hex;
  expiresAt: bigint;
}
export interface ProposalApprovedEvent {
  kind: "ProposalApproved";
  proposalId: bigint;
  member: Hex;
  approvals: number;
  required: number;
}
export interface ProposalExecutedEvent {
  kind: "ProposalExecuted";
  proposalId: bigint;
}
export interface ProposalCancelledEvent {
  kind: "ProposalCancelled";
  proposalId: bigint;
}

export type ConsortiumEvent =
  | MemberAdmittedEvent
  | MemberRolesChangedEvent
  | MemberSuspendedEvent
  | MemberReinstatedEvent
  | KeyAddedEvent
  | KeyRevokedEvent
  | ScopeSetEvent
  | SchemaRegisteredEvent
  | ModelRegisteredEvent
  | ThresholdChangedEvent
  | ParameterChangedEvent
  | ProposalCreatedEvent
  | ProposalApprovedEvent
  | ProposalExecutedEvent
  | ProposalCancelledEvent;

// ------------------------------------------------------------------------------------------------
// ICreditRegistry
// ------------------------------------------------------------------------------------------------

export interface AttestedEvent {
  kind: "Attested";
  uid: Hex;
  subject: Hex;
  schema: Hex;
  provider: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
  signer: Address;
  relayer: Address;
}
export interface BatchAnchoredEvent {
  kind: "BatchAnchored";
  root: Hex;
  provider: Hex;
  schema: Hex;
  count: number;
  uri: string;
  signer: Address;
}
export interface BatchRevokedEvent {
  kind: "BatchRevoked";
  root: Hex;
  provider: Hex;
  reasonHash: Hex;
  signer: Address;
}
export interface LeafRecordedEvent {
  kind: "LeafRecorded";
  uid: Hex;
  root: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
}
export interface DerivedEvent {
  kind: "Derived";
  uid: Hex;
  subject: Hex;
  schema: Hex;
  deriver: Hex;
  dataHash: Hex;
  modelHash: Hex;
  observedAt: bigint;
  inputs: Hex[];
  signer: Address;
}
export interface RevokedEvent {
  kind: "Revoked";
  uid: Hex;
  owner: Hex;
  reasonHash: Hex;
  signer: Address;
}
export interface SupersededEvent {
  kind: "Superseded";
  uid: Hex;
  newUid: Hex;
  owner: Hex;
  signer: Address;
}
export interface DisputeOpenedEvent {
  kind: "DisputeOpened";
  uid: Hex;
  opener: Hex;
  seq: number;
  reasonHash: Hex;
  openedAt: bigint;
  deadline: bigint;
  signer: Address;
}
export interface DisputeAnsweredEvent {
  kind: "DisputeAnswered";
  uid: Hex;
  provider: Hex;
  seq: number;
  outcome: DisputeOutcome;
  responseHash: Hex;
  signer: Address;
}
export interface DisputeWithdrawnEvent {
  kind: "DisputeWithdrawn";
  uid: Hex;
  opener: Hex;
  seq: number;
  signer: Address;
}
export interface RepairRequestedEvent {
  kind: "RepairRequested";
  uid: Hex;
  requester: Hex;
  evidenceHash: Hex;
  requestedAt: bigint;
  signer: Address;
}
export interface RepairDecidedEvent {
  kind: "RepairDecided";
  uid: Hex;
  authority: Hex;
  approved: boolean;
  decisionHash: Hex;
  signer: Address;
}
export interface ScoreBatchAnchoredEvent {
  kind: "ScoreBatchAnchored";
  root: Hex;
  scorer: Hex;
  modelHash: Hex;
  count: number;
  asOfBlock: bigint;
  signer: Address;
}

export interface ConsentRecordedEvent {
  kind: "ConsentRecorded";
  consentId: Hex;
  subject: Hex;
  lender: Hex;
  purposeHash: Hex;
  expiresAt: bigint;
  evidenceHash: Hex;
  signer: Address;
}
export interface ConsentRevokedEvent {
  kind: "ConsentRevoked";
  consentId: Hex;
  subject: Hex;
  lender: Hex;
  signer: Address;
}
export interface AuditAnchoredEvent {
  kind: "AuditAnchored";
  root: Hex;
  node: Hex;
  count: number;
  fromTime: bigint;
  toTime: bigint;
  signer: Address;
}

export type RegistryEvent =
  | AttestedEvent
  | BatchAnchoredEvent
  | BatchRevokedEvent
  | LeafRecordedEvent
  | DerivedEvent
  | RevokedEvent
  | SupersededEvent
  | DisputeOpenedEvent
  | DisputeAnsweredEvent
  | DisputeWithdrawnEvent
  | RepairRequestedEvent
  | RepairDecidedEvent
  | ScoreBatchAnchoredEvent
  | ConsentRecordedEvent
  | ConsentRevokedEvent
  | AuditAnchoredEvent;

/** Every event either ledger emits. */
export type LedgerEvent = ConsortiumEvent | RegistryEvent;

export type LedgerEventKind = LedgerEvent["kind"];

/** The event type of a kind, e.g. LedgerEventOf<"Attested">. */
export type LedgerEventOf<K extends LedgerEventKind> = Extract<LedgerEvent, { kind: K }>;

/** An event with its position, as a ledger adapter streams it. */
export type PositionedEvent = LedgerEvent & { position: EventPosition };
