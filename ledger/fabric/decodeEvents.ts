/**
 * The chaincode's event payload (`{"events":[...]}`, core/events.ts shapes with bigints as decimal
 * strings) back into `LedgerEvent`s: the same values the EVM adapter decodes from logs.
 */
import { getAddress } from "ethers";

import { LedgerError, type LedgerEvent, type LedgerEventKind } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";

/** Per event kind, its uint64/uint256 fields (bigint in core/events.ts); every kind is listed. */
const BIGINT_FIELDS: Record<LedgerEventKind, readonly string[]> = {
  MemberAdmitted: [],
  MemberRolesChanged: [],
  MemberSuspended: [],
  MemberReinstated: [],
  KeyAdded: [],
  KeyRevoked: [],
  ScopeSet: ["expiresAt"],
  SchemaRegistered: [],
  ModelRegistered: [],
  ThresholdChanged: [],
  ParameterChanged: ["value"],
  ProposalCreated: ["proposalId", "expiresAt"],
  ProposalApproved: ["proposalId"],
  ProposalExecuted: ["proposalId"],
  ProposalCancelled: ["proposalId"],
  Attested: ["observedAt", "expiresAt"],
  BatchAnchored: [],
  BatchRevoked: [],
  LeafRecorded: ["observedAt", "expiresAt"],
  Derived: ["observedAt"],
  Revoked: [],
  Superseded: [],
  DisputeOpened: ["openedAt", "deadline"],
  DisputeAnswered: [],
  DisputeWithdrawn: [],
  RepairRequested: ["requestedAt"],
  RepairDecided: [],
  ScoreBatchAnchored: ["asOfBlock"],
  ConsentRecorded: ["expiresAt"],
  ConsentRevoked: [],
  AuditAnchored: ["fromTime", "toTime"],
};

/** Address fields (checksummed, as the EVM adapter emits them). */
const ADDRESS_FIELDS = new Set(["signer", "relayer", "key", "revokedBy"]);

function fail(reason: string, details: Record<string, unknown>): never {
  throw new LedgerError(`undecodable chaincode event: ${reason}`, {
    code: LedgerErrorCode.DECODE_FAILED,
    details,
  });
}

function decodeOne(raw: unknown, txId: string): LedgerEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    fail("an event is not an object", { txId });
  const event = { ...(raw as Record<string, unknown>) };
  const kind = event.kind;
  if (typeof kind !== "string" || !Object.hasOwn(BIGINT_FIELDS, kind))
    fail("unknown event kind", { txId, kind });
  for (const field of BIGINT_FIELDS[kind as LedgerEventKind]) {
    const value = event[field];
    if (typeof value !== "string" || !/^[0-9]+$/.test(value))
      fail(`${kind}.${field} is not a decimal string`, { txId, value });
    event[field] = BigInt(value);
  }
  for (const [field, value] of Object.entries(event)) {
    if (ADDRESS_FIELDS.has(field) && typeof value === "string") event[field] = getAddress(value);
    else if (field === "keys" && Array.isArray(value))
      event[field] = value.map((k) => getAddress(String(k)));
  }
  return event as unknown as LedgerEvent;
}

/** The events of one chaincode event payload, in the order the EVM would log them. */
export function decodeChaincodeEvents(payload: Uint8Array, txId: string): LedgerEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch (cause) {
    throw new LedgerError("undecodable chaincode event: not JSON", {
      code: LedgerErrorCode.DECODE_FAILED,
      details: { txId },
      cause,
    });
  }
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) fail("no events list", { txId });
  return events.map((e) => decodeOne(e, txId));
}
