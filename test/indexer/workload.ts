/**
 * A deterministic generator of mixed, ledger-valid events (attest, revoke, supersede, derive,
 * disputes, repairs, batches, leaves, score batches, key and role changes, proposals) for reorg,
 * restart and pagination tests. Its state follows the events it made, so a fork can replay a
 * prefix with the same seed and then continue with another.
 */
import type { Hex, LedgerEvent, RecordBatch } from "../../core/index.js";
import { DisputeOutcome, Role, encodeAction } from "../../core/index.js";
import type { MemberName } from "./fixtures.js";
import {
  DAY,
  KEY,
  M,
  MODEL,
  T0,
  address,
  anchorEvent,
  attest,
  derive,
  h,
  leafRecordedEvent,
  recordBatch,
  subject,
} from "./fixtures.js";

/** mulberry32 over a string seed. */
export function rng(seed: string): () => number {
  let state = 0;
  for (const ch of seed) state = (Math.imul(state ^ ch.charCodeAt(0), 2654435761) + 1) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RecordState {
  uid: Hex;
  owner: MemberName;
  severity: number;
  derived: boolean;
  active: boolean;
  disputeSeq: number;
  disputeOpen: boolean;
  repairPending: boolean;
  repaired: boolean;
}

interface BatchState {
  batch: RecordBatch;
  uids: Hex[];
  recorded: Set<number>;
  revoked: boolean;
}

export interface Workload {
  /** The events of the next block (1…maxOps operations). */
  next(): LedgerEvent[];
  /** Use another seed from now on (the branch after a fork). */
  reseed(seed: string): void;
  /** Batches anchored so far (for uploads). */
  batches(): { batch: RecordBatch; revoked: boolean }[];
}

export function createWorkload(
  seed: string,
  options: { maxOps?: number; subjects?: number } = {},
): Workload {
  let random = rng(seed);
  let label = seed;
  const maxOps = options.maxOps ?? 5;
  const subjects = options.subjects ?? 4;
  const records: RecordState[] = [];
  const batches: BatchState[] = [];
  let counter = 0;
  let proposals = 0n;
  let clock = T0;

  const pick = <T>(items: readonly T[]): T | undefined =>
    items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
  const active = () => records.filter((r) => r.active);

  function newAttestation(events: LedgerEvent[]): void {
    const provider: MemberName = random() < 0.7 ? "tax" : "court";
    const severity = provider === "court" ? 1 + Math.floor(random() * 3) : 0;
    const event = attest({
      subject: subject(Math.floor(random() * subjects)),
      provider,
      severity,
      observedAt: clock - BigInt(Math.floor(random() * 1000)),
      label: `${label}:${++counter}`,
    });
    events.push(event);
    records.push({
      uid: event.uid,
      owner: provider,
      severity,
      derived: false,
      active: true,
      disputeSeq: 0,
      disputeOpen: false,
      repairPending: false,
      repaired: false,
    });
  }

  const ops: ((events: LedgerEvent[]) => boolean)[] = [
    (events) => {
      newAttestation(events);
      return true;
    },
    (events) => {
      const r = pick(active());
      if (r === undefined) return false;
      r.active = false;
      events.push({
        kind: "Revoked",
        uid: r.uid,
        owner: r.derived ? M.scorer : M[r.owner],
        reasonHash: h(`reason:${label}:${++counter}`),
        signer: r.derived ? KEY.scorer : KEY[r.owner],
      });
      return true;
    },
    (events) => {
      const r = pick(active().filter((x) => !x.derived));
      if (r === undefined) return false;
      const replacement = attest({
        subject: subject(Math.floor(random() * subjects)),
        provider: r.owner,
        severity: r.severity,
        observedAt: clock,
        label: `${label}:${++counter}`,
      });
      events.push(replacement, {
        kind: "Superseded",
        uid: r.uid,
        newUid: replacement.uid,
        owner: M[r.owner],
        signer: KEY[r.owner],
      });
      r.active = false;
      records.push({
        ...r,
        uid: replacement.uid,
        active: true,
        disputeSeq: 0,
        disputeOpen: false,
        repairPending: false,
        repaired: false,
      });
      return true;
    },
    (events) => {
      const pool = active();
      if (pool.length === 0) return false;
      const inputs = new Set<Hex>();
      const n = 1 + Math.floor(random() * Math.min(3, pool.length));
      while (inputs.size < n) inputs.add((pick(pool) as RecordState).uid);
      const event = derive({
        subject: subject(Math.floor(random() * subjects)),
        inputs: [...inputs],
        observedAt: clock,
        label: `${label}:${++counter}`,
      });
      events.push(event);
      records.push({
        uid: event.uid,
        owner: "scorer",
        severity: 0,
        derived: true,
        active: true,
        disputeSeq: 0,
        disputeOpen: false,
        repairPending: false,
        repaired: false,
      });
      return true;
    },
    (events) => {
      const r = pick(active().filter((x) => !x.disputeOpen));
      if (r === undefined) return false;
      r.disputeOpen = true;
      r.disputeSeq++;
      events.push({
        kind: "DisputeOpened",
        uid: r.uid,
        opener: M.bank,
        seq: r.disputeSeq,
        reasonHash: h(`dispute:${label}:${++counter}`),
        openedAt: clock,
        deadline: clock + 20n * DAY,
        signer: KEY.bank,
      });
      return true;
    },
    (events) => {
      const r = pick(records.filter((x) => x.disputeOpen));
      if (r === undefined) return false;
      r.disputeOpen = false;
      if (random() < 0.5) {
        const owner = r.derived ? M.scorer : M[r.owner];
        events.push({
          kind: "DisputeAnswered",
          uid: r.uid,
          provider: owner,
          seq: r.disputeSeq,
          outcome: random() < 0.5 ? DisputeOutcome.Upheld : DisputeOutcome.Corrected,
          responseHash: h(`answer:${++counter}`),
          signer: r.derived ? KEY.scorer : KEY[r.owner],
        });
      } else {
        events.push({
          kind: "DisputeWithdrawn",
          uid: r.uid,
          opener: M.bank,
          seq: r.disputeSeq,
          signer: KEY.bank,
        });
      }
      return true;
    },
    (events) => {
      const r = pick(active().filter((x) => x.severity > 0 && !x.repaired && !x.repairPending));
      if (r === undefined) return false;
      r.repairPending = true;
      events.push({
        kind: "RepairRequested",
        uid: r.uid,
        requester: M.bank,
        evidenceHash: h(`evidence:${label}:${++counter}`),
        requestedAt: clock,
        signer: KEY.bank,
      });
      return true;
    },
    (events) => {
      const r = pick(records.filter((x) => x.repairPending && x.active));
      if (r === undefined) return false;
      r.repairPending = false;
      const approved = random() < 0.6;
      if (approved) r.repaired = true;
      events.push({
        kind: "RepairDecided",
        uid: r.uid,
        authority: M.repair,
        approved,
        decisionHash: h(`decision:${++counter}`),
        signer: KEY.repair,
      });
      return true;
    },
    (events) => {
      const made = recordBatch(3, `${label}:batch:${++counter}`, () =>
        subject(Math.floor(random() * subjects)),
      );
      events.push(anchorEvent(made.batch, `s3://${label}/${counter}`));
      batches.push({ batch: made.batch, uids: made.uids, recorded: new Set(), revoked: false });
      return true;
    },
    (events) => {
      const b = pick(batches.filter((x) => !x.revoked && x.recorded.size < 3));
      if (b === undefined) return false;
      const i = [0, 1, 2].find((n) => !b.recorded.has(n)) as number;
      b.recorded.add(i);
      events.push(leafRecordedEvent(b.batch, i));
      records.push({
        uid: b.uids[i],
        owner: "tax",
        severity: b.batch.leaves[i].severity,
        derived: false,
        active: true,
        disputeSeq: 0,
        disputeOpen: false,
        repairPending: false,
        repaired: false,
      });
      return true;
    },
    (events) => {
      const b = pick(batches.filter((x) => !x.revoked));
      if (b === undefined || random() < 0.5) return false;
      b.revoked = true;
      for (const r of records) if (b.uids.includes(r.uid)) r.active = false;
      events.push({
        kind: "BatchRevoked",
        root: b.batch.root,
        provider: M.tax,
        reasonHash: h(`batch:${++counter}`),
        signer: KEY.tax,
      });
      return true;
    },
    (events) => {
      events.push({
        kind: "ScoreBatchAnchored",
        root: h(`scores:${label}:${++counter}`),
        scorer: M.scorer,
        modelHash: MODEL,
        count: 1 + Math.floor(random() * 100),
        asOfBlock: 1n,
        signer: KEY.scorer,
      });
      return true;
    },
    (events) => {
      const member = pick<MemberName>(["tax", "court", "bank"]) as MemberName;
      if (random() < 0.5) {
        events.push({
          kind: "KeyAdded",
          member: M[member],
          key: address(`${label}:key:${++counter}`),
        });
      } else {
        events.push({
          kind: "MemberRolesChanged",
          member: M.bank,
          roles: random() < 0.5 ? Role.LENDER : Role.LENDER | Role.REGULATOR,
        });
      }
      return true;
    },
    (events) => {
      const action = encodeAction({
        kind: "SetThreshold",
        threshold: 1 + Math.floor(random() * 3),
      });
      const id = ++proposals;
      events.push(
        {
          kind: "ProposalCreated",
          proposalId: id,
          proposer: M.tax,
          actionKind: action.kind,
          payload: action.payload,
          expiresAt: clock + 7n * DAY,
        },
        { kind: "ProposalApproved", proposalId: id, member: M.tax, approvals: 1, required: 2 },
      );
      if (random() < 0.5) {
        events.push(
          { kind: "ProposalApproved", proposalId: id, member: M.court, approvals: 2, required: 2 },
          { kind: "ThresholdChanged", threshold: 2 },
          { kind: "ProposalExecuted", proposalId: id },
        );
      }
      return true;
    },
  ];

  return {
    next() {
      clock += 12n;
      const events: LedgerEvent[] = [];
      const n = 1 + Math.floor(random() * maxOps);
      for (let i = 0; i < n; i++) {
        const op = ops[Math.floor(random() * ops.length)];
        if (!op(events)) newAttestation(events);
      }
      return events;
    },
    reseed(newSeed) {
      random = rng(newSeed);
      label = newSeed;
    },
    batches: () => batches.map((b) => ({ batch: b.batch, revoked: b.revoked })),
  };
}
