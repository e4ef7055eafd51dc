/**
 * The key layout of the indexer's LevelDB sublevel. Every key is ASCII text whose components are
 * fixed width (numbers zero-padded, hashes 66 characters), so that text order is the order we
 * want: blocks 9 → 10 → 100, newest-first by an inverted timestamp, log index within a block.
 * The layout is documented in indexer/README.md ("Key layout"); change both together.
 */
import type { Hex } from "../core/index.js";

/** Separates the components of a key. */
export const SEP = ":";

/** Widths of the fixed-width numeric components. */
export const WIDTH = {
  /** block numbers (uint64 would need 20; 16 digits last 3 billion years at one block a second) */
  block: 16,
  /** unix seconds: uint40 (the ledger's timestamps) has 13 digits */
  time: 13,
  /** position of an event within its block */
  log: 6,
  /** leaf index in a batch, member index, schema index (uint32 has 10 digits) */
  index: 10,
  /** dispute and repair sequence numbers (uint32) */
  seq: 10,
  /** position of an undo entry within its block */
  undo: 8,
  /** governance proposal ids (sequential from 1) */
  proposal: 20,
} as const;

/** The largest timestamp a key can hold; inverted timestamps count down from it. */
export const MAX_KEY_TIME = 10n ** BigInt(WIDTH.time) - 1n;

/** `value` zero-padded to `width` digits; throws RangeError when negative or too wide. */
export function pad(value: bigint | number, width: number): string {
  // (a safe integer's or a bigint's decimal text is digits only: no exponent, no fraction)
  const whole = typeof value === "bigint" ? value >= 0n : Number.isSafeInteger(value) && value >= 0;
  const text = whole ? value.toString() : "";
  if (!whole || text.length > width) {
    throw new RangeError(`key component ${String(value)} does not fit ${width} digits`);
  }
  return text.padStart(width, "0");
}

export function padBlock(block: bigint): string {
  return pad(block, WIDTH.block);
}

/** A timestamp that sorts newest first: MAX_KEY_TIME − t, zero-padded. */
export function invertedTime(seconds: bigint): string {
  const t = seconds > MAX_KEY_TIME ? MAX_KEY_TIME : seconds;
  return pad(MAX_KEY_TIME - t, WIDTH.time);
}

export function padTime(seconds: bigint): string {
  return pad(seconds > MAX_KEY_TIME ? MAX_KEY_TIME : seconds, WIDTH.time);
}

/** Where an event sits in the chain, as one sortable component: block (16) + log index (6). */
export function eventPosition(block: bigint, logIndex: number): string {
  return padBlock(block) + pad(logIndex, WIDTH.log);
}

/** bytes32 and addresses in keys are lowercase. */
export function hexKey(value: string): string {
  return value.toLowerCase();
}

/** The first key after every key that starts with `prefix` (for `lt` bounds). */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** Key families. Two-letter prefixes; see README.md for what each value holds. */
export const PREFIX = {
  // ---- state of the indexer itself
  meta: "m",
  // ---- the reorg window (excluded from the digest)
  window: "w",
  blockHash: "bh",
  undo: "un",
  // ---- uploaded batch files (off-ledger input, excluded from the digest and the undo log)
  upload: "up",
  uploadLeaf: "ul",
  // ---- projections
  attestation: "at",
  bySubject: "as",
  bySubjectCategory: "ac",
  byProvider: "ap",
  dependents: "ld",
  hasDependents: "dx",
  batch: "ba",
  batchByProvider: "bp",
  batchLeaf: "bl",
  batchRecorded: "br",
  revocation: "rv",
  supersession: "ss",
  dispute: "di",
  disputeByStatus: "ds",
  repair: "rp",
  repairByStatus: "rs",
  member: "mb",
  memberByIndex: "mi",
  memberKey: "mk",
  schema: "sc",
  schemaByIndex: "si",
  category: "cg",
  model: "md",
  modelByPosition: "mo",
  proposal: "pr",
  parameter: "pa",
  threshold: "th",
  scoreBatch: "sb",
  scoreBatchByPosition: "so",
  consent: "cn",
  consentBySubject: "cs",
  auditAnchor: "aa",
  auditAnchorByPosition: "ao",
} as const;

/** Families left out of {@link digest}: the undo log, the block-hash window and uploaded files. */
export const DIGEST_EXCLUDED: readonly string[] = [
  PREFIX.window,
  PREFIX.blockHash,
  PREFIX.undo,
  PREFIX.upload,
  PREFIX.uploadLeaf,
];

/** The family of a key (its first component). */
export function familyOf(key: string): string {
  const i = key.indexOf(SEP);
  return i < 0 ? key : key.slice(0, i);
}

function k(...parts: string[]): string {
  return parts.join(SEP);
}

// The attestation index layouts, over components already in key form (lowercase hex, inverted
// time): one definition for keys.bySubject & co. and keys.attestationIndexes.
function subjectIndexKey(subject: string, time: string, uid: string): string {
  return k(PREFIX.bySubject, subject, time, uid);
}
function subjectCategoryIndexKey(
  subject: string,
  category: string,
  time: string,
  uid: string,
): string {
  return k(PREFIX.bySubjectCategory, subject, category, time, uid);
}
function providerIndexKey(provider: string, time: string, uid: string): string {
  return k(PREFIX.byProvider, provider, time, uid);
}

export const keys = {
  checkpoint: (): string => k(PREFIX.meta, "checkpoint"),
  finalized: (): string => k(PREFIX.window, "finalized"),
  blockHash: (block: bigint): string => k(PREFIX.blockHash, padBlock(block)),
  undo: (block: bigint, seq: number): string =>
    k(PREFIX.undo, padBlock(block), pad(seq, WIDTH.undo)),
  undoBlockPrefix: (block: bigint): string => k(PREFIX.undo, padBlock(block)) + SEP,

  upload: (root: Hex): string => k(PREFIX.upload, hexKey(root)),
  uploadLeaf: (root: Hex, index: number): string =>
    k(PREFIX.uploadLeaf, hexKey(root), pad(index, WIDTH.index)),

  attestation: (uid: Hex): string => k(PREFIX.attestation, hexKey(uid)),
  bySubject: (subject: Hex, observedAt: bigint, uid: Hex): string =>
    subjectIndexKey(hexKey(subject), invertedTime(observedAt), hexKey(uid)),
  bySubjectCategory: (subject: Hex, category: Hex, observedAt: bigint, uid: Hex): string =>
    subjectCategoryIndexKey(
      hexKey(subject),
      hexKey(category),
      invertedTime(observedAt),
      hexKey(uid),
    ),
  byProvider: (provider: Hex, observedAt: bigint, uid: Hex): string =>
    providerIndexKey(hexKey(provider), invertedTime(observedAt), hexKey(uid)),
  /**
   * The three index keys of one attestation — bySubject, bySubjectCategory (undefined without a
   * category) and byProvider — with one inverted timestamp and each hash lowercased once (a
   * backfill writes them for every attestation).
   */
  attestationIndexes: (
    subject: Hex,
    category: Hex | null,
    provider: Hex,
    observedAt: bigint,
    uid: Hex,
  ): [bySubject: string, bySubjectCategory: string | undefined, byProvider: string] => {
    const s = hexKey(subject);
    const time = invertedTime(observedAt);
    const u = hexKey(uid);
    return [
      subjectIndexKey(s, time, u),
      category === null ? undefined : subjectCategoryIndexKey(s, hexKey(category), time, u),
      providerIndexKey(hexKey(provider), time, u),
    ];
  },
  dependent: (input: Hex, derived: Hex): string =>
    k(PREFIX.dependents, hexKey(input), hexKey(derived)),
  hasDependents: (input: Hex): string => k(PREFIX.hasDependents, hexKey(input)),

  batch: (root: Hex): string => k(PREFIX.batch, hexKey(root)),
  batchByProvider: (provider: Hex, block: bigint, logIndex: number, root: Hex): string =>
    k(PREFIX.batchByProvider, hexKey(provider), eventPosition(block, logIndex), hexKey(root)),
  batchLeaf: (root: Hex, index: number): string =>
    k(PREFIX.batchLeaf, hexKey(root), pad(index, WIDTH.index)),
  batchRecorded: (root: Hex, uid: Hex): string =>
    k(PREFIX.batchRecorded, hexKey(root), hexKey(uid)),

  revocation: (block: bigint, logIndex: number, uid: Hex): string =>
    k(PREFIX.revocation, eventPosition(block, logIndex), hexKey(uid)),
  supersession: (block: bigint, logIndex: number, uid: Hex): string =>
    k(PREFIX.supersession, eventPosition(block, logIndex), hexKey(uid)),

  dispute: (uid: Hex, seq: number): string => k(PREFIX.dispute, hexKey(uid), pad(seq, WIDTH.seq)),
  disputeByStatus: (status: string, deadline: bigint, uid: Hex, seq: number): string =>
    k(PREFIX.disputeByStatus, status, padTime(deadline), hexKey(uid), pad(seq, WIDTH.seq)),
  repair: (uid: Hex, seq: number): string => k(PREFIX.repair, hexKey(uid), pad(seq, WIDTH.seq)),
  repairByStatus: (
    status: string,
    block: bigint,
    logIndex: number,
    uid: Hex,
    seq: number,
  ): string =>
    k(
      PREFIX.repairByStatus,
      status,
      eventPosition(block, logIndex),
      hexKey(uid),
      pad(seq, WIDTH.seq),
    ),

  member: (member: Hex): string => k(PREFIX.member, hexKey(member)),
  memberByIndex: (index: number): string => k(PREFIX.memberByIndex, pad(index, WIDTH.index)),
  memberKey: (address: string): string => k(PREFIX.memberKey, hexKey(address)),
  schema: (schema: Hex): string => k(PREFIX.schema, hexKey(schema)),
  schemaByIndex: (index: number): string => k(PREFIX.schemaByIndex, pad(index, WIDTH.index)),
  category: (category: Hex): string => k(PREFIX.category, hexKey(category)),
  model: (modelHash: Hex): string => k(PREFIX.model, hexKey(modelHash)),
  modelByPosition: (block: bigint, logIndex: number, modelHash: Hex): string =>
    k(PREFIX.modelByPosition, eventPosition(block, logIndex), hexKey(modelHash)),
  proposal: (id: bigint): string => k(PREFIX.proposal, pad(id, WIDTH.proposal)),
  parameter: (name: string): string => k(PREFIX.parameter, name),
  threshold: (): string => k(PREFIX.threshold, "current"),
  scoreBatch: (root: Hex): string => k(PREFIX.scoreBatch, hexKey(root)),
  scoreBatchByPosition: (block: bigint, logIndex: number, root: Hex): string =>
    k(PREFIX.scoreBatchByPosition, eventPosition(block, logIndex), hexKey(root)),
  consent: (consentId: Hex): string => k(PREFIX.consent, hexKey(consentId)),
  consentBySubject: (subject: Hex, lender: Hex, consentId: Hex): string =>
    k(PREFIX.consentBySubject, hexKey(subject), hexKey(lender), hexKey(consentId)),
  auditAnchor: (root: Hex): string => k(PREFIX.auditAnchor, hexKey(root)),
  auditAnchorByPosition: (block: bigint, logIndex: number, root: Hex): string =>
    k(PREFIX.auditAnchorByPosition, eventPosition(block, logIndex), hexKey(root)),
};

/** The prefix (with its trailing separator) of a family, optionally narrowed by components. */
export function prefixOf(family: string, ...parts: string[]): string {
  return [family, ...parts.map(hexKeyIfHex)].join(SEP) + SEP;
}

function hexKeyIfHex(part: string): string {
  return part.startsWith("0x") || part.startsWith("0X") ? part.toLowerCase() : part;
}

/** The last component of a key. */
export function lastPart(key: string): string {
  return key.slice(key.lastIndexOf(SEP) + 1);
}

/** Component `i` of a key. */
export function partOf(key: string, i: number): string {
  return key.split(SEP)[i] ?? "";
}
