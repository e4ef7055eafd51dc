/**
 * core/ must agree with the Solidity sources byte for byte. These tests read the interface and
 * library files and compare what can drift: role bits, enum orders, governance payload types, event
 * names and fields, the Attest typehash, the EIP-712 domain, tags and parameter names.
 */
import { readFileSync } from "node:fs";

import { expect } from "chai";

import {
  ACTION_KIND_NAMES,
  ACTION_PAYLOAD_TYPES,
  ATTEST_TYPE,
  DisputeOutcome,
  DisputeStatus,
  encodeAction,
  decodeAction,
  PARAMETER_NAMES,
  ProposalStatus,
  RecordStatus,
  RepairStatus,
  Role,
  Severity,
  MAX_PARAMETER_SECONDS,
  REGISTRY_DOMAIN_NAME,
  REGISTRY_DOMAIN_VERSION,
  type GovernanceAction,
  type Hex,
  type LedgerEventKind,
  type LedgerEventOf,
} from "../../core/index.js";

function source(path: string): string {
  return readFileSync(new URL(`../../contracts/${path}`, import.meta.url), "utf8");
}

const CONSORTIUM = source("interfaces/IConsortium.sol");
const REGISTRY = source("interfaces/ICreditRegistry.sol");

/** Members of `enum name { ... }` in order (comments stripped). */
function enumMembers(text: string, name: string): string[] {
  const match = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(text.replace(/\/\/[^\n]*/g, ""));
  if (match === null) throw new Error(`enum ${name} not found`);
  return match[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

interface SolidityEvent {
  name: string;
  params: { type: string; name: string }[];
}

function events(text: string): SolidityEvent[] {
  const found: SolidityEvent[] = [];
  for (const match of text.matchAll(/event (\w+)\(([^)]*)\);/g)) {
    const params = match[2]
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => {
        const parts = p.split(/\s+/).filter((w) => w !== "indexed");
        return { type: parts[0], name: parts[1] };
      });
    found.push({ name: match[1], params });
  }
  return found;
}

const B32: Hex = `0x${"ab".repeat(32)}`;
const ADDR = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";

/** One event of every kind; the type checker makes sure every kind and every field is here. */
const SAMPLES: { [K in LedgerEventKind]: LedgerEventOf<K> } = {
  MemberAdmitted: {
    kind: "MemberAdmitted",
    member: B32,
    index: 1,
    name: "n",
    roles: 1,
    keys: [ADDR],
  },
  MemberRolesChanged: { kind: "MemberRolesChanged", member: B32, roles: 1 },
  MemberSuspended: { kind: "MemberSuspended", member: B32 },
  MemberReinstated: { kind: "MemberReinstated", member: B32 },
  KeyAdded: { kind: "KeyAdded", member: B32, key: ADDR },
  KeyRevoked: { kind: "KeyRevoked", member: B32, key: ADDR, revokedBy: ADDR },
  ScopeSet: { kind: "ScopeSet", member: B32, category: B32, expiresAt: 1n },
  SchemaRegistered: {
    kind: "SchemaRegistered",
    schema: B32,
    category: B32,
    index: 1,
    categoryName: "c",
    definition: "{}",
    registrant: B32,
  },
  ModelRegistered: { kind: "ModelRegistered", modelHash: B32, scorer: B32, uri: "u" },
  ThresholdChanged: { kind: "ThresholdChanged", threshold: 2 },
  ParameterChanged: { kind: "ParameterChanged", name: B32, value: 1n },
  ProposalCreated: {
    kind: "ProposalCreated",
    proposalId: 1n,
    proposer: B32,
    actionKind: 0,
    payload: "0x",
    expiresAt: 1n,
  },
  ProposalApproved: {
    kind: "ProposalApproved",
    proposalId: 1n,
    member: B32,
    approvals: 1,
    required: 2,
  },
  ProposalExecuted: { kind: "ProposalExecuted", proposalId: 1n },
  ProposalCancelled: { kind: "ProposalCancelled", proposalId: 1n },
  Attested: {
    kind: "Attested",
    uid: B32,
    subject: B32,
    schema: B32,
    provider: B32,
    dataHash: B32,
    observedAt: 1n,
    expiresAt: 0n,
    severity: 0,
    signer: ADDR,
    relayer: ADDR,
  },
  BatchAnchored: {
    kind: "BatchAnchored",
    root: B32,
    provider: B32,
    schema: B32,
    count: 7,
    uri: "u",
    signer: ADDR,
  },
  BatchRevoked: { kind: "BatchRevoked", root: B32, provider: B32, reasonHash: B32, signer: ADDR },
  LeafRecorded: {
    kind: "LeafRecorded",
    uid: B32,
    root: B32,
    subject: B32,
    dataHash: B32,
    observedAt: 1n,
    expiresAt: 0n,
    severity: 1,
  },
  Derived: {
    kind: "Derived",
    uid: B32,
    subject: B32,
    schema: B32,
    deriver: B32,
    dataHash: B32,
    modelHash: B32,
    observedAt: 1n,
    inputs: [B32],
    signer: ADDR,
  },
  Revoked: { kind: "Revoked", uid: B32, owner: B32, reasonHash: B32, signer: ADDR },
  Superseded: { kind: "Superseded", uid: B32, newUid: B32, owner: B32, signer: ADDR },
  DisputeOpened: {
    kind: "DisputeOpened",
    uid: B32,
    opener: B32,
    seq: 1,
    reasonHash: B32,
    openedAt: 1n,
    deadline: 2n,
    signer: ADDR,
  },
  DisputeAnswered: {
    kind: "DisputeAnswered",
    uid: B32,
    provider: B32,
    seq: 1,
    outcome: 1,
    responseHash: B32,
    signer: ADDR,
  },
  DisputeWithdrawn: { kind: "DisputeWithdrawn", uid: B32, opener: B32, seq: 1, signer: ADDR },
  RepairRequested: {
    kind: "RepairRequested",
    uid: B32,
    requester: B32,
    evidenceHash: B32,
    requestedAt: 1n,
    signer: ADDR,
  },
  RepairDecided: {
    kind: "RepairDecided",
    uid: B32,
    authority: B32,
    approved: true,
    decisionHash: B32,
    signer: ADDR,
  },
  ConsentRecorded: {
    kind: "ConsentRecorded",
    consentId: B32,
    subject: B32,
    lender: B32,
    purposeHash: B32,
    expiresAt: 1n,
    evidenceHash: B32,
    signer: ADDR,
  },
  ConsentRevoked: {
    kind: "ConsentRevoked",
    consentId: B32,
    subject: B32,
    lender: B32,
    signer: ADDR,
  },
  AuditAnchored: {
    kind: "AuditAnchored",
    root: B32,
    node: B32,
    count: 1,
    fromTime: 1n,
    toTime: 2n,
    signer: ADDR,
  },
  ScoreBatchAnchored: {
    kind: "ScoreBatchAnchored",
    root: B32,
    scorer: B32,
    modelHash: B32,
    count: 3,
    asOfBlock: 10n,
    signer: ADDR,
  },
};

/** The JavaScript type core/events.ts uses for a Solidity type. */
function jsType(solidityType: string): string {
  if (solidityType.endsWith("[]")) return "array";
  if (solidityType === "uint64" || solidityType === "uint256") return "bigint";
  if (/^uint(8|16|32)$/.test(solidityType) || /^[A-Z]/.test(solidityType)) return "number"; // enums too
  if (solidityType === "bool") return "boolean";
  return "string"; // bytes32, bytes, address, string
}

describe("core agrees with the Solidity sources", () => {
  it("role bits equal Roles.sol", () => {
    const text = source("libraries/Roles.sol");
    const bits = Object.fromEntries(
      [...text.matchAll(/uint8 internal constant (\w+) = 1 << (\d+);/g)].map((m) => [
        m[1],
        1 << Number(m[2]),
      ]),
    );
    expect(bits).to.deep.equal(Role);
    expect(text).to.include("ALL = (1 << 6) - 1");
  });

  it("tags hash the names in Tags.sol", () => {
    const text = source("libraries/Tags.sol");
    expect(text).to.include('ATTESTATION = keccak256("credtrail.attestation.v1")');
    expect(text).to.include('DERIVATION = keccak256("credtrail.derivation.v1")');
  });

  it("enums follow the interfaces, value for value", () => {
    const byValue = (o: Record<string, number>) =>
      Object.entries(o)
        .sort((a, b) => a[1] - b[1])
        .map(([k]) => k);
    expect(enumMembers(CONSORTIUM, "ActionKind")).to.deep.equal(ACTION_KIND_NAMES);
    expect(enumMembers(CONSORTIUM, "ProposalStatus")).to.deep.equal(byValue(ProposalStatus));
    expect(enumMembers(REGISTRY, "RecordStatus")).to.deep.equal(byValue(RecordStatus));
    expect(enumMembers(REGISTRY, "Severity")).to.deep.equal(byValue(Severity));
    expect(enumMembers(REGISTRY, "DisputeStatus")).to.deep.equal(byValue(DisputeStatus));
    expect(enumMembers(REGISTRY, "DisputeOutcome")).to.deep.equal(byValue(DisputeOutcome));
    expect(enumMembers(REGISTRY, "RepairStatus")).to.deep.equal(byValue(RepairStatus));
  });

  it("governance payloads have the types and names of the ActionKind comments", () => {
    const body = /enum ActionKind \{([\s\S]*?)\n\s*\}/.exec(CONSORTIUM)?.[1] ?? "";
    const comments = [...body.matchAll(/\/\/\/ \(([^)]*)\)/g)].map((m) =>
      m[1].split(",").map((p) => {
        const [type, name] = p.trim().split(/\s+/);
        return { type, name };
      }),
    );
    expect(comments).to.have.length(ACTION_KIND_NAMES.length);
    const samples: GovernanceAction[] = [
      { kind: "Admit", member: B32, name: "n", roles: 1, keys: [ADDR] },
      { kind: "SetRoles", member: B32, roles: 1 },
      { kind: "SetScope", member: B32, category: B32, expiresAt: 0 },
      { kind: "Suspend", member: B32 },
      { kind: "Reinstate", member: B32 },
      { kind: "AddKey", member: B32, key: ADDR },
      { kind: "RevokeKey", member: B32, key: ADDR },
      { kind: "SetThreshold", threshold: 1 },
      { kind: "SetParameter", name: "votingPeriod", value: 86_400 },
    ];
    ACTION_KIND_NAMES.forEach((kind, i) => {
      expect(ACTION_PAYLOAD_TYPES[kind], kind).to.deep.equal(comments[i].map((p) => p.type));
      const encoded = encodeAction(samples[i]);
      expect(encoded.kind).to.equal(i);
      const { kind: _kind, ...fields } = decodeAction(encoded.kind, encoded.payload);
      expect(Object.keys(fields), kind).to.deep.equal(comments[i].map((p) => p.name));
    });
  });

  it("every Solidity event has a core event type with the same fields", () => {
    const solidity = [...events(CONSORTIUM), ...events(REGISTRY)];
    expect(solidity.map((e) => e.name).sort()).to.deep.equal(Object.keys(SAMPLES).sort());
    for (const event of solidity) {
      const sample = SAMPLES[event.name as LedgerEventKind] as unknown as Record<string, unknown>;
      const { kind, ...fields } = sample;
      expect(kind).to.equal(event.name);
      // the Solidity parameter `kind` (ProposalCreated) is `actionKind`: `kind` names the event
      const names = event.params.map((p) => (p.name === "kind" ? "actionKind" : p.name));
      expect(Object.keys(fields), event.name).to.deep.equal(names);
      for (const param of event.params) {
        const value = fields[param.name === "kind" ? "actionKind" : param.name];
        const actual = Array.isArray(value) ? "array" : typeof value;
        expect(actual, `${event.name}.${param.name}`).to.equal(jsType(param.type));
      }
    }
  });

  it("the Attest typehash and EIP-712 domain are the registry's", () => {
    const registry = source("CreditRegistry.sol").replace(/"\s*\n\s*"/g, "");
    expect(registry).to.include(`"${ATTEST_TYPE}"`);
    expect(registry).to.include(`EIP712("${REGISTRY_DOMAIN_NAME}", "${REGISTRY_DOMAIN_VERSION}")`);
  });

  it("parameter names and bounds are the consortium's", () => {
    const consortium = source("Consortium.sol");
    const names = [...consortium.matchAll(/bytes32 private constant _\w+ = "([^"]+)";/g)].map(
      (m) => m[1],
    );
    expect(names).to.deep.equal(PARAMETER_NAMES);
    const days = /_MAX_PERIOD = (\d+) days;/.exec(consortium)?.[1];
    expect(BigInt(days ?? "0") * 86_400n).to.equal(MAX_PARAMETER_SECONDS);
    for (const name of PARAMETER_NAMES) expect(CONSORTIUM).to.include(`"${name}"`);
  });
});
