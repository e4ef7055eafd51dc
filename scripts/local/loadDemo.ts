/**
 * Puts the demo data on a running local consortium: the bulk of each provider's records as one
 * anchored batch per data category (leaves and record contents uploaded to the node), negative
 * court and market-regulation records as single attestations (so they can be disputed and
 * repaired), then consents of the banks, disputes (some answered) and repairs (some approved).
 */
import { Wallet } from "ethers";

import type { CategoryName, Hex, RecordLeafInput } from "../../core/index.js";
import {
  attestationUid,
  buildRecordBatch,
  memberId,
  purposeHash,
  DisputeOutcome,
} from "../../core/index.js";
import type { LedgerWriter } from "../../ledger/index.js";
import { CliError } from "../cli/errors.js";
import { createGatewayClient, type GatewayClient } from "../cli/gatewayClient.js";
import { leavesNdjson, uploadWhenIndexed } from "../cli/submit/submitFile.js";
import type { DemoMemberName } from "./consortium.js";
import { DEMO_MEMBERS, demoKeys } from "./consortium.js";
import type { DemoData, DemoRecord } from "./demoData.js";

/** The provider of each category in the demo consortium. */
const PROVIDER_OF: Partial<Record<CategoryName, DemoMemberName>> = {};
for (const [name, member] of Object.entries(DEMO_MEMBERS)) {
  for (const category of member.categories) PROVIDER_OF[category] = name as DemoMemberName;
}

/** Categories attested one by one (disputable and repairable on chain); the rest go in batches. */
const SINGLE: ReadonlySet<CategoryName> = new Set([
  "judicial.enforcement",
  "judicial.dishonest",
  "admin.penalty",
]);

export const DEMO_PURPOSE = "credit-assessment";

export interface LoadOptions {
  data: DemoData;
  schemas: Record<CategoryName, Hex>;
  writer: (name: DemoMemberName) => LedgerWriter;
  /** The node's base URL, e.g. http://127.0.0.1:4000 */
  base: string;
  audience: string;
  chainId: bigint;
  now: bigint;
  log: (message: string) => void;
}

export async function loadDemo(options: LoadOptions): Promise<{ consentSubjects: Hex[] }> {
  const { data, writer, log, base } = options;
  const keys = demoKeys();
  // the CLI's gateway client: login tokens of the member's key, NDJSON uploads
  const clients = new Map<DemoMemberName, GatewayClient>();
  const gateway = (name: DemoMemberName): GatewayClient => {
    let client = clients.get(name);
    if (client === undefined) {
      const wallet = new Wallet(keys[name]);
      client = createGatewayClient({
        url: base,
        audience: options.audience,
        signer: () => wallet,
        member: () => Promise.resolve(memberId(DEMO_MEMBERS[name].name)),
        chainId: () => Promise.resolve(options.chainId),
        now: () => BigInt(Math.floor(Date.now() / 1000)),
      });
      clients.set(name, client);
    }
    return client;
  };
  const contents: Record<string, { uid: Hex; record: unknown }[]> = {};
  const keep = (provider: DemoMemberName, uid: Hex, r: DemoRecord) => {
    (contents[provider] ??= []).push({ uid, record: r.record });
  };

  // 1. batches: one per category of bulk records
  const byCategory = new Map<CategoryName, DemoRecord[]>();
  for (const r of data.records) {
    const list = byCategory.get(r.category) ?? [];
    list.push(r);
    byCategory.set(r.category, list);
  }
  for (const [category, records] of byCategory) {
    if (SINGLE.has(category)) continue;
    const provider = PROVIDER_OF[category];
    if (provider === undefined) throw new Error(`no demo provider for ${category}`);
    const leaves: RecordLeafInput[] = records.map((r) => ({
      subject: r.subject,
      dataHash: r.dataHash,
      observedAt: r.observedAt,
      expiresAt: r.expiresAt,
      severity: r.severity,
    }));
    const batch = buildRecordBatch(leaves);
    await writer(provider).anchorBatch(
      options.schemas[category],
      batch.root,
      batch.length,
      `credtrail-demo://${category}`,
    );
    // the node must have indexed the anchor before it takes the file
    await uploadWhenIndexed(gateway(provider), batch.root, leavesNdjson(batch.leaves));
    const anchor = {
      schema: options.schemas[category],
      provider: memberId(DEMO_MEMBERS[provider].name),
    };
    records.forEach((r, i) => {
      keep(provider, batch.leafUid(i, anchor), r);
    });
    log(`batch of ${records.length} ${category} records anchored and uploaded`);
  }

  // 2. single attestations: enforcement, dishonest-debtor listings, penalties
  const singles: { uid: Hex; provider: DemoMemberName; record: DemoRecord }[] = [];
  for (const category of SINGLE) {
    const provider = PROVIDER_OF[category] as DemoMemberName;
    const records = byCategory.get(category) ?? [];
    for (let i = 0; i < records.length; i += 50) {
      const chunk = records.slice(i, i + 50);
      const requests = chunk.map((r) => ({
        schema: options.schemas[category],
        subject: r.subject,
        dataHash: r.dataHash,
        observedAt: r.observedAt,
        expiresAt: r.expiresAt,
        severity: r.severity,
      }));
      await writer(provider).attestMany(requests);
      const providerId = memberId(DEMO_MEMBERS[provider].name);
      chunk.forEach((r, j) => {
        const uid = attestationUid({ ...requests[j], provider: providerId });
        singles.push({ uid, provider, record: r });
        keep(provider, uid, r);
      });
    }
    log(`${records.length} ${category} records attested one by one`);
  }

  // 3. record contents, per provider (the node keeps them only if they hash to the ledger's dataHash)
  let stored = 0;
  for (const [provider, items] of Object.entries(contents)) {
    for (let i = 0; i < items.length; i += 5_000) {
      const lines = items.slice(i, i + 5_000).map((item) => JSON.stringify(item));
      for (let attempt = 0; ; attempt++) {
        try {
          await gateway(provider as DemoMemberName).uploadRecords(`${lines.join("\n")}\n`);
          break;
        } catch (error) {
          // the last attestations may not be indexed yet
          const code = error instanceof CliError ? error.code : undefined;
          if (attempt > 50 || !/NOT_INDEXED|NOT_FOUND/.test(code ?? "")) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      stored += Math.min(5_000, items.length - i);
    }
  }
  log(`record contents of ${stored} records uploaded to the node`);

  // 4. consents of both banks for the first 25 enterprises
  const consentSubjects = data.enterprises.slice(0, 25).map((e) => e.subject);
  const purpose = purposeHash(DEMO_PURPOSE);
  for (const subject of consentSubjects) {
    await writer("bankA").recordConsent(subject, purpose, options.now + 365n * 86_400n, subject);
  }
  for (const subject of consentSubjects.slice(0, 10)) {
    await writer("bankB").recordConsent(subject, purpose, options.now + 90n * 86_400n, subject);
  }

  // 5. disputes: Bank A disputes a few negative records; the court answers some
  const negatives = singles.filter((s) => s.record.severity > 0);
  const disputed = negatives.slice(0, 6);
  for (const [i, s] of disputed.entries()) {
    await writer("bankA").openDispute(s.uid, s.uid);
    if (i % 2 === 0) {
      await writer(s.provider).answerDispute(s.uid, DisputeOutcome.Upheld, s.uid);
    }
  }
  // 6. repairs: minor penalties (no minimum period) repaired on request of the provider
  const minor = singles.filter(
    (s) => s.record.category === "admin.penalty" && s.record.severity === 1,
  );
  for (const [i, s] of minor.slice(0, 8).entries()) {
    await writer("market").requestRepair(s.uid, s.uid);
    if (i % 4 !== 3) await writer("repair").decideRepair(s.uid, true, s.uid);
  }
  log(
    `consents for ${consentSubjects.length} enterprises, ${disputed.length} disputes, ` +
      `${Math.min(8, minor.length)} repair requests`,
  );
  return { consentSubjects };
}
