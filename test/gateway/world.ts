/**
 * A gateway over a real indexer fed with synthetic events (test/indexer/fixtures.ts helpers), with
 * members whose keys are real wallets (so login tokens are real), and helpers to query it.
 *
 * Members: tax and court (PROVIDER), scorer (SCORER), bank (LENDER: consent in force for subject A,
 * expired for B, none for C), regulator (REGULATOR), suspended (LENDER, suspended), repair
 * (REPAIR_AUTHORITY).
 */
import { Wallet } from "ethers";
import pino from "pino";
import { Registry } from "prom-client";

import type { Hex, LedgerEvent, SignedForwardRequest } from "../../core/index.js";
import {
  Role,
  consentId,
  memberId,
  purposeHash,
  subjectId,
  completeUscc,
} from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import type { ForwardingWriter, LedgerWriter, SignedAttestation } from "../../ledger/types.js";
import { bearer, createAuthenticator, createLoginToken } from "../../gateway/auth/index.js";
import type { Gateway, GatewayConfig, GatewayIndexer } from "../../gateway/index.js";
import { createGateway } from "../../gateway/index.js";
import type { QueryAuditEntry, QueryAuditLog } from "../../gateway/types.js";
import type { TempDirs } from "../indexer/fixtures.js";
import {
  DAY,
  MODEL,
  SCHEMA,
  T0,
  attest,
  createChain,
  derive,
  feed,
  h,
  openIndexer,
  tempDirs,
} from "../indexer/fixtures.js";

export const CHAIN_ID = 31337n;
export const AUDIENCE = "credtrail-gateway-test";
export const NOW_MS = Number(T0) * 1000;
export const CONSORTIUM_KEY = h("consortium key");

export type WorldMember =
  "tax" | "court" | "scorer" | "bank" | "regulator" | "suspended" | "repair";

const MEMBERS: Record<WorldMember, { name: string; roles: number }> = {
  tax: { name: "State Taxation Administration", roles: Role.PROVIDER },
  court: { name: "People's Court", roles: Role.PROVIDER },
  scorer: { name: "Credit Scorer", roles: Role.SCORER },
  bank: { name: "Bank A", roles: Role.LENDER },
  regulator: { name: "Regulator", roles: Role.REGULATOR },
  suspended: { name: "Bank B", roles: Role.LENDER },
  repair: { name: "Repair Authority", roles: Role.REPAIR_AUTHORITY },
};

export const WALLET = Object.fromEntries(
  Object.keys(MEMBERS).map((m) => [m, new Wallet(h(`wallet:${m}`))]),
) as Record<WorldMember, Wallet>;

export const MID = Object.fromEntries(
  Object.entries(MEMBERS).map(([m, { name }]) => [m, memberId(name)]),
) as Record<WorldMember, Hex>;

/** Valid USCCs (GB 32100-2015) of subjects A (consent in force), B (consent expired), C (none). */
export const USCC = {
  A: completeUscc("91440300MA5F00001"),
  B: completeUscc("91440300MA5F00002"),
  C: completeUscc("91440300MA5F00003"),
};
export const SUBJECT = {
  A: subjectId(CONSORTIUM_KEY, USCC.A),
  B: subjectId(CONSORTIUM_KEY, USCC.B),
  C: subjectId(CONSORTIUM_KEY, USCC.C),
};
export const PURPOSE = "credit-assessment";
/** The data hash of subject C's record by tax whose uid is the real attestation uid. */
export const EXISTING_DATA_HASH = h("existing record");

/** An in-memory query audit log (the gateway's contract; gateway/audit has the durable one). */
export function memoryAuditLog(): QueryAuditLog & { entries: QueryAuditEntry[] } {
  const entries: QueryAuditEntry[] = [];
  let seq = 0;
  return {
    entries,
    record(entry) {
      const full = {
        ...entry,
        id: `${entry.at.toString().padStart(13, "0")}-${String(++seq).padStart(8, "0")}`,
      };
      entries.push(full);
      return Promise.resolve(full);
    },
    list(filter) {
      const items = entries
        .filter((e) => filter.subject === undefined || e.subject === filter.subject)
        .filter((e) => filter.member === undefined || e.member === filter.member)
        .filter((e) => filter.after === undefined || e.id < filter.after)
        .slice()
        .reverse()
        .slice(0, filter.first ?? 20);
      return Promise.resolve({
        items: items.map((e) => ({ ...e, anchor: null })),
        nextCursor: null,
      });
    },
    anchorNow: () => Promise.resolve(null),
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
}

export interface Records {
  /** tax's records of A (two), court's record of A, tax's record of C; a score derived from A's. */
  taxA1: Hex;
  taxA2: Hex;
  courtA: Hex;
  taxC: Hex;
  scoreA: Hex;
  revokedA: Hex;
}

function genesis(): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  let index = 0;
  for (const [m, { name, roles }] of Object.entries(MEMBERS) as [
    WorldMember,
    { name: string; roles: number },
  ][]) {
    events.push({
      kind: "MemberAdmitted",
      member: MID[m],
      index: ++index,
      name,
      roles,
      keys: [WALLET[m].address],
    });
  }
  for (const [m, s] of [
    ["tax", SCHEMA.tax],
    ["court", SCHEMA.penalty],
  ] as const) {
    events.push({
      kind: "ScopeSet",
      member: MID[m],
      category: s.categoryId,
      expiresAt: T0 + 730n * DAY,
    });
  }
  let schemaIndex = 0;
  for (const s of [SCHEMA.tax, SCHEMA.penalty, SCHEMA.score]) {
    events.push({
      kind: "SchemaRegistered",
      schema: s.schemaId,
      category: s.categoryId,
      index: ++schemaIndex,
      categoryName: s.categoryName,
      definition: s.definition,
      registrant: MID.regulator,
    });
  }
  events.push({ kind: "ModelRegistered", modelHash: MODEL, scorer: MID.scorer, uri: "ipfs://m" });
  return events;
}

function consent(subject: Hex, expiresAt: bigint, lender: WorldMember = "bank"): LedgerEvent {
  const ph = purposeHash(PURPOSE);
  return {
    kind: "ConsentRecorded",
    consentId: consentId({ lender: MID[lender], subject, purposeHash: ph }),
    subject,
    lender: MID[lender],
    purposeHash: ph,
    expiresAt,
    evidenceHash: h(`evidence:${subject}`),
    signer: WALLET[lender].address,
  };
}

/** The tax provider's attestation (with a member id our wallets own). */
function taxAttest(subject: Hex, label: string, observedAt: bigint): LedgerEvent {
  const a = attest({ subject, label, observedAt });
  return { ...a, provider: MID.tax, uid: h(`uid:${label}`), signer: WALLET.tax.address };
}

export interface World {
  dirs: TempDirs;
  indexer: Indexer;
  gateway: Gateway;
  url: string;
  base: string;
  audit: ReturnType<typeof memoryAuditLog>;
  /** What the fake writer was asked to relay. */
  relayed: SignedAttestation[];
  /** Forward requests the fake forwarding writer was asked to relay. */
  forwarded: SignedForwardRequest[];
  metrics: Registry;
  records: Records;
  /** Makes one read method of the indexer (as the gateway sees it) throw `error` (null: heal). */
  fail(method: keyof GatewayIndexer, error: Error | null): void;
  /** Overrides the indexer's lag as the gateway sees it (null: the real status). */
  setLag(seconds: number | null): void;
  token(member: WorldMember, options?: { now?: bigint; lifetime?: number }): Promise<string>;
  close(): Promise<void>;
}

export interface WorldOptions {
  config?: Partial<GatewayConfig>;
  /** Relay writes (default true): a fake writer that records what it is asked to send. */
  writes?: boolean;
}

/** The registry address signatures are bound to in the world. */
export const REGISTRY = "0x00000000000000000000000000000000000000A1";
/** The forwarder the fake forwarding writer names (EIP-712 verifying contract of requests). */
export const FORWARDER = "0x00000000000000000000000000000000000000F1";

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const dirs = tempDirs();
  const { indexer } = await openIndexer(dirs, { clock: () => NOW_MS });
  const chain = createChain("gateway");
  const records: Records = {
    taxA1: h("uid:taxA1"),
    taxA2: h("uid:taxA2"),
    courtA: h("uid:courtA"),
    taxC: h("uid:taxC"),
    scoreA: h("uid:scoreA"),
    revokedA: h("uid:revokedA"),
  };
  chain.add(genesis());
  chain.add([
    taxAttest(SUBJECT.A, "taxA1", T0 - 3n * DAY),
    taxAttest(SUBJECT.A, "taxA2", T0 - 2n * DAY),
    taxAttest(SUBJECT.C, "taxC", T0 - 2n * DAY),
    // a record with its real uid (what submitAttestation computes), for the RECORD_EXISTS check
    {
      ...attest({ subject: SUBJECT.C, dataHash: EXISTING_DATA_HASH, observedAt: T0 - 60n }),
      signer: WALLET.tax.address,
    },
    taxAttest(SUBJECT.A, "revokedA", T0 - 4n * DAY),
    {
      ...attest({ subject: SUBJECT.A, provider: "court", label: "courtA", severity: 2 }),
      provider: MID.court,
      uid: records.courtA,
      observedAt: T0 - DAY,
      signer: WALLET.court.address,
    },
  ]);
  chain.add([
    {
      ...derive({ subject: SUBJECT.A, inputs: [records.taxA1, records.courtA] }),
      uid: records.scoreA,
      deriver: MID.scorer,
      observedAt: T0 - DAY / 2n,
      signer: WALLET.scorer.address,
    },
    consent(SUBJECT.A, T0 + 30n * DAY),
    consent(SUBJECT.B, T0 - DAY),
    consent(SUBJECT.A, T0 + 30n * DAY, "suspended"),
    { kind: "MemberSuspended", member: MID.suspended },
    {
      kind: "DisputeOpened",
      uid: records.courtA,
      opener: MID.bank,
      seq: 1,
      reasonHash: h("reason"),
      openedAt: T0 - DAY / 2n,
      deadline: T0 + 19n * DAY,
      signer: WALLET.bank.address,
    },
    {
      kind: "RepairRequested",
      uid: records.courtA,
      requester: MID.court,
      evidenceHash: h("evidence"),
      requestedAt: T0 - DAY / 3n,
      signer: WALLET.court.address,
    },
    {
      kind: "Revoked",
      uid: records.revokedA,
      owner: MID.tax,
      reasonHash: h("wrong"),
      signer: WALLET.tax.address,
    },
  ]);
  await feed(indexer, chain.blocks);

  let lag: number | null = null;
  const faults = new Map<PropertyKey, Error>();
  const status: GatewayIndexer["status"] = async () => {
    const s = await indexer.status();
    return lag === null ? s : { ...s, secondsBehind: lag };
  };
  const gatewayIndexer = new Proxy<GatewayIndexer>(indexer, {
    get(target, property, receiver) {
      const fault = faults.get(property);
      if (fault !== undefined) return () => Promise.reject(fault);
      if (property === "status") return status;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const audit = memoryAuditLog();
  const metrics = new Registry();
  const relayed: SignedAttestation[] = [];
  const writer: Pick<LedgerWriter, "attestBySig"> = {
    attestBySig(signed) {
      relayed.push(signed);
      return Promise.resolve({
        txHash: h(`tx:${relayed.length}`),
        blockNumber: 99n,
        blockHash: h("block:99"),
        events: [],
      });
    },
  };
  const forwarded: SignedForwardRequest[] = [];
  const forwarding: ForwardingWriter = {
    forwarderAddress: () => Promise.resolve(FORWARDER),
    // every key's next nonce is its count of relayed requests
    forwarderNonce: (from) =>
      Promise.resolve(BigInt(forwarded.filter((r) => r.from === from).length)),
    simulateForwarded: () => Promise.resolve(),
    forward(request) {
      forwarded.push(request);
      return Promise.resolve({
        txHash: h(`forward:${forwarded.length}`),
        blockNumber: 100n,
        blockHash: h("block:100"),
        events: [],
      });
    },
  };
  const config: GatewayConfig = {
    host: "127.0.0.1",
    port: 0,
    production: true,
    maxLagSeconds: 30,
    rateLimit: { perMinute: 100_000 },
    maxBodyBytes: 16 * 1024,
    consortiumKey: CONSORTIUM_KEY,
    ...options.config,
  };
  const gateway = createGateway({
    indexer: gatewayIndexer,
    authenticator: createAuthenticator({
      reads: indexer,
      chainId: CHAIN_ID,
      audience: AUDIENCE,
      clock: () => NOW_MS,
    }),
    auditLog: audit,
    ...(options.writes === false
      ? {}
      : { writes: { writer, chainId: CHAIN_ID, registry: REGISTRY, forwarding } }),
    logger: pino({ level: "silent" }),
    metrics,
    config,
    clock: () => NOW_MS,
  });
  const { url } = await gateway.start();
  return {
    dirs,
    indexer,
    gateway,
    url,
    base: url.replace(/\/graphql$/, ""),
    audit,
    relayed,
    forwarded,
    metrics,
    records,
    fail(method, error) {
      if (error === null) faults.delete(method);
      else faults.set(method, error);
    },
    setLag(seconds) {
      lag = seconds;
    },
    token: (member, o = {}) =>
      createLoginToken(WALLET[member], {
        chainId: CHAIN_ID,
        member: MID[member],
        audience: AUDIENCE,
        lifetimeSeconds: o.lifetime ?? 600,
        now: o.now ?? T0,
      }),
    async close() {
      await gateway.stop();
      await indexer.close();
      await dirs.cleanup();
    },
  };
}

export interface GqlResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

/** POSTs a GraphQL request (JSON) with an optional bearer token. */
export async function gql(
  url: string,
  query: string,
  options: {
    token?: string;
    variables?: Record<string, unknown>;
    headers?: Record<string, string>;
  } = {},
): Promise<GqlResponse> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...options.headers,
  };
  if (options.token !== undefined) headers.authorization = bearer(options.token);
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  let body: GqlResponse["body"];
  try {
    body = JSON.parse(text) as GqlResponse["body"];
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: response.status, headers: response.headers, body };
}

/** The codes of a response's errors. */
export function codes(response: GqlResponse): string[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.code ?? "(none)");
}
