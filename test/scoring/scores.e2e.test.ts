/**
 * Verified scores end to end: a Hardhat node with the test consortium, the indexer, the record
 * store, the scoring service (the scorer's key anchors) and the gateway, in one process over one
 * LevelDB, as a node runs them. Providers attest records and upload their contents to
 * POST /records; the score changes on every kind of input change, is provisional until its batch
 * is anchored and then verified with a proof that checks against the ledger; scoreChanged streams
 * the changes over server-sent events in order; access and the audit log follow the subject's.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { Level } from "level";
import pino from "pino";
import { Registry } from "prom-client";

import type { Hex, JsonObject } from "../../core/index.js";
import {
  SCHEMAS,
  attestationUid,
  compileModel,
  defaultScorecardModel,
  hashCanonical,
  modelRegistration,
  purposeHash,
  recordSeverity,
  scoreInputsHash,
  scoreLeafHash,
  verifyScoreProof,
} from "../../core/index.js";
import { createAuthenticator, createLoginToken } from "../../gateway/auth/index.js";
import type { Gateway } from "../../gateway/index.js";
import { createGateway } from "../../gateway/index.js";
import type { Indexer, RecordStore, ScoringService } from "../../indexer/index.js";
import {
  createIndexer,
  createLevelStore,
  createRecordStore,
  createScoringService,
} from "../../indexer/index.js";
import type { EvmLedger, EvmWriter } from "../../ledger/index.js";
import type { TestConsortium, TestKey, TestMember, TestSchema } from "../helpers/evmConsortium.js";
import { TEST_KEYS } from "../helpers/evmConsortium.js";
import { startTestLedger } from "../helpers/evmGateway.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { rpc } from "../helpers/hardhatNode.js";
import { DAY, h, tempDirs } from "../indexer/fixtures.js";
import type { GqlResponse } from "../gateway/world.js";
import { codes, gql, memoryAuditLog } from "../gateway/world.js";

const AUDIENCE = "credtrail-scores-test";
const RECORD_KEY = "11".repeat(32);
const PURPOSE = "credit-assessment";
const MODEL = compileModel(defaultScorecardModel);

const SCORE_FIELDS = `subject value grade pd reasons reasonDetails { code text feature pointsLost }
  model asOf asOfBlock inputs verified provisionalSince provisionalReason missingContents
  proof { leaf path root batchTx blockNumber blockHash modelHash inputs }`;
const SCORE_QUERY = `query S($id: ID!, $purpose: String!) {
  subject(subjectId: $id, purpose: $purpose) { score { ${SCORE_FIELDS} } }
}`;
const HISTORY_QUERY = `query H($id: ID!, $first: Int) {
  subject(subjectId: $id) { scoreHistory(first: $first) { nodes { value model verified proof { root } } pageInfo { hasNextPage } } }
}`;

interface ScoreJson {
  subject: string;
  value: number;
  grade: string;
  pd: number;
  reasons: string[];
  reasonDetails: { code: string; pointsLost: number }[];
  model: string;
  asOf: string;
  asOfBlock: string;
  inputs: string[];
  verified: boolean;
  provisionalSince: string | null;
  provisionalReason: string | null;
  missingContents: string[];
  proof: {
    leaf: string;
    path: string[];
    root: string;
    batchTx: string;
    blockNumber: string;
    blockHash: string;
    modelHash: string;
    inputs: string[];
  } | null;
}

const isoDay = (seconds: bigint): string =>
  new Date(Number(seconds) * 1000 + 8 * 3_600_000).toISOString().slice(0, 10);

describe("verified scores on a Hardhat node (indexer + scoring service + gateway)", function () {
  this.timeout(300_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let db: Level;
  let dbDir: string;
  let indexer: Indexer;
  let records: RecordStore;
  let scoring: ScoringService;
  let gateway: Gateway;
  let url: string;
  let base: string;
  const audit = memoryAuditLog();
  const w = {} as Record<TestKey, EvmWriter>;
  let counter = 0;

  const token = (member: TestMember, key: TestKey = member) =>
    createLoginToken(new Wallet(TEST_KEYS[key]), {
      chainId: c.chainId,
      member: c.ids[member],
      audience: AUDIENCE,
      lifetimeSeconds: 3_600,
      now: BigInt(Math.floor(Date.now() / 1000)),
    });

  async function indexed(block: bigint): Promise<void> {
    await indexer.waitForBlock(block);
  }

  async function chainNow(): Promise<bigint> {
    return (await ledger.head()).timestamp;
  }

  async function upload(
    member: TestMember,
    lines: string[],
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}/records`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await token(member)}`,
        "content-type": "application/x-ndjson",
      },
      body: lines.join("\n") + "\n",
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  interface Submitted {
    uid: Hex;
    record: JsonObject;
    blockNumber: bigint;
  }

  /** Attests a record (its dataHash, severity from the schema) without uploading its contents. */
  async function attest(
    provider: "tax" | "court",
    schema: TestSchema,
    subject: Hex,
    fields: JsonObject,
    options: { observedAt?: bigint; expiresAt?: bigint } = {},
  ): Promise<Submitted> {
    const record: JsonObject = { subject, ...fields };
    const definition = Object.values(SCHEMAS).find((s) => s.category === schemaCategory(schema));
    if (definition === undefined) throw new Error(`no schema ${schema}`);
    const request = {
      schema: c.schemas[schema],
      subject,
      dataHash: hashCanonical(record),
      observedAt: options.observedAt ?? (await chainNow()) - 60n,
      expiresAt: options.expiresAt ?? 0n,
      severity: recordSeverity(definition, record),
    };
    const receipt = await w[provider].attest(request);
    await indexed(receipt.blockNumber);
    await scoring.idle();
    return {
      uid: attestationUid({ ...request, provider: c.ids[provider] }),
      record,
      blockNumber: receipt.blockNumber,
    };
  }

  function schemaCategory(schema: TestSchema): string {
    return {
      taxPayment: "tax.payment",
      taxGrade: "tax.grade",
      judicialEnforcement: "judicial.enforcement",
      adminPenalty: "admin.penalty",
      creditScore: "credit.score",
    }[schema];
  }

  /** Attests a record, uploads its contents and waits until the subject is rescored. */
  async function submit(
    provider: "tax" | "court",
    schema: TestSchema,
    subject: Hex,
    fields: JsonObject,
    options: { observedAt?: bigint; expiresAt?: bigint } = {},
  ): Promise<Submitted> {
    const submitted = await attest(provider, schema, subject, fields, options);
    const r = await upload(provider, [
      JSON.stringify({ uid: submitted.uid, record: submitted.record }),
    ]);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    await scoring.idle();
    return submitted;
  }

  async function score(
    subject: Hex,
    member: TestMember = "regulator",
    purpose = PURPOSE,
  ): Promise<ScoreJson | null> {
    await scoring.idle();
    const r = await gql(url, SCORE_QUERY, {
      token: await token(member),
      variables: { id: subject, purpose },
    });
    expect(r.body.errors, JSON.stringify(r.body.errors)).to.equal(undefined);
    return (r.body.data?.subject as { score: ScoreJson | null }).score;
  }

  const grade = (subject: Hex, fields: JsonObject = {}) =>
    submit("tax", "taxGrade", subject, { year: 2025, grade: "A", ...fields });
  const penalty = async (subject: Hex, severity: string, options: { observedAt?: bigint } = {}) =>
    submit(
      "court",
      "adminPenalty",
      subject,
      {
        decisionIdHash: h(`decision:${counter++}`),
        authority: "Market Regulation Bureau",
        penaltyType: "fine",
        severity,
        decisionDate: isoDay((await chainNow()) - 30n * DAY),
        amount: 50_000,
      },
      options,
    );

  function startGateway(): Promise<{ url: string }> {
    gateway = createGateway({
      indexer,
      authenticator: createAuthenticator({
        reads: indexer,
        chainId: c.chainId,
        audience: AUDIENCE,
        clock: Date.now,
      }),
      auditLog: audit,
      logger: pino({ level: "silent" }),
      metrics: new Registry(),
      recordUploads: {
        records,
        onStored: (subjects) => {
          scoring.touch(subjects);
        },
      },
      scores: {
        getScore: (s) => scoring.getScore(s),
        listHistory: (s, a) => scoring.listHistory(s, a),
        provisionalReason: (s) => scoring.provisionalReason(s),
        watch: (s, l) => scoring.watch(s, l),
      },
      config: {
        host: "127.0.0.1",
        port: 0,
        production: true,
        maxLagSeconds: 30,
        rateLimit: { perMinute: 100_000 },
        maxBodyBytes: 64 * 1024,
      },
      clock: Date.now,
    });
    return gateway.start();
  }

  before(async () => {
    ({ node, c, ledger } = await startTestLedger());
    for (const key of Object.keys(TEST_KEYS) as TestKey[]) w[key] = ledger.writer(TEST_KEYS[key]);
    const registration = modelRegistration(defaultScorecardModel);
    await w.scorer.registerModel(registration.modelHash, "credtrail://models/credtrail.sme/1");
    dbDir = await dirs.make();
    db = new Level(dbDir);
    indexer = await createIndexer({ db, ledger, fromBlock: BigInt(c.deployBlock - 1) });
    records = await createRecordStore({ db, key: RECORD_KEY });
    scoring = await createScoringService({
      indexer,
      db,
      records,
      model: MODEL,
      writer: w.scorer,
      anchorIntervalMs: 3_600_000,
    });
    await scoring.start();
    indexer.start();
    await indexed((await ledger.head()).number);
    ({ url } = await startGateway());
    base = url.replace(/\/graphql$/, "");
  });

  after(async () => {
    await gateway?.stop();
    await indexer?.stop();
    await scoring?.stop();
    await indexer?.close();
    await db?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
  });

  describe("record contents (POST /records)", () => {
    const subject = h("subject:uploads");

    it("stores the attested contents once, encrypted at rest", async () => {
      const a = await attest("tax", "taxGrade", subject, { year: 2025, grade: "B" });
      const line = JSON.stringify({ uid: a.uid, record: a.record });
      const first = await upload("tax", [line]);
      expect(first).to.deep.equal({ status: 200, body: { stored: 1, alreadyStored: 0 } });
      const again = await upload("tax", [line, line]);
      expect(again).to.deep.equal({ status: 200, body: { stored: 0, alreadyStored: 2 } });
      expect(await records.get(a.uid)).to.deep.equal(a.record);
      // (the subject's records are one value: see indexer/records/recordStore.ts)
      const raw = await createLevelStore(db, "records").get(`rs:${subject}`);
      expect(raw).to.be.a("string");
      expect(raw).to.not.include(subject.slice(2));
      expect(raw).to.not.include("grade");
    });

    it("refuses bad uploads with codes and line numbers, storing nothing", async () => {
      const good = await attest("tax", "taxGrade", subject, { year: 2024, grade: "A" });
      const goodLine = JSON.stringify({ uid: good.uid, record: good.record });
      const courts = await attest("court", "adminPenalty", subject, {
        decisionIdHash: h("decision:upload"),
        authority: "Bureau",
        penaltyType: "warning",
        severity: "minor",
        decisionDate: isoDay(await chainNow()),
      });
      const before = await records.count();
      const cases: [TestMember, string[], number, string, number | undefined][] = [
        // hash mismatch: other contents than attested
        [
          "tax",
          [goodLine, JSON.stringify({ uid: good.uid, record: { ...good.record, grade: "B" } })],
          400,
          "DATA_HASH_MISMATCH",
          2,
        ],
        // another provider's record
        ["tax", [JSON.stringify({ uid: courts.uid, record: courts.record })], 403, "NOT_OWNER", 1],
        // schema-invalid contents
        [
          "tax",
          [goodLine, JSON.stringify({ uid: good.uid, record: { ...good.record, grade: "Z" } })],
          400,
          "RECORD_INVALID",
          2,
        ],
        // no such attestation (yet)
        [
          "tax",
          [JSON.stringify({ uid: h("no such record"), record: good.record })],
          404,
          "ATTESTATION_NOT_INDEXED",
          1,
        ],
        ["tax", [goodLine, "{not json"], 400, "LINE_INVALID", 2],
        ["tax", [JSON.stringify({ uid: "0x12", record: {} })], 400, "UID_INVALID", 1],
        ["lenderA", [goodLine], 403, "FORBIDDEN", undefined],
      ];
      for (const [member, lines, status, code, line] of cases) {
        const r = await upload(member, lines);
        const error = r.body.error as { code: string; details: { line?: number } };
        expect([r.status, error.code], JSON.stringify(r.body)).to.deep.equal([status, code]);
        expect(error.details.line).to.equal(line);
      }
      const anonymous = await fetch(`${base}/records`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body: goodLine,
      });
      expect(anonymous.status).to.equal(401);
      const wrongType = await fetch(`${base}/records`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await token("tax")}`,
          "content-type": "application/json",
        },
        body: goodLine,
      });
      expect(wrongType.status).to.equal(415);
      expect(await records.count()).to.equal(before);
      expect(await records.has(good.uid)).to.equal(false);
    });
  });

  describe("scores follow their inputs", () => {
    const subject = h("subject:acme");
    let taxGrade: Submitted;
    let serious: Submitted;
    let last: ScoreJson;

    async function changed(): Promise<ScoreJson> {
      const next = await score(subject);
      expect(next).to.not.equal(null);
      return next as ScoreJson;
    }

    it("has no score before any record", async () => {
      expect(await score(subject)).to.equal(null);
    });

    it("scores a new positive record, provisionally", async () => {
      taxGrade = await grade(subject);
      last = await changed();
      expect(last.inputs).to.deep.equal([taxGrade.uid]);
      expect(last.model).to.equal(MODEL.modelHash);
      expect(last.verified).to.equal(false);
      expect(last.proof).to.equal(null);
      expect(last.provisionalSince).to.be.a("string");
      expect(last.provisionalReason).to.match(/waiting for the next score batch/);
      // tax grade A: 60 of 60 instead of 25 when missing
      const baseline = MODEL.score([], { asOf: BigInt(last.asOf), subject });
      expect(last.value).to.equal(baseline.value + 35);
      expect(BigInt(last.asOfBlock) >= taxGrade.blockNumber).to.equal(true);
    });

    it("lists a counting record without contents as missing, until they arrive", async () => {
      const a = await attest("tax", "taxPayment", subject, {
        periodStart: isoDay((await chainNow()) - 40n * DAY),
        periodEnd: isoDay((await chainNow()) - 10n * DAY),
        taxType: "vat",
        taxPaid: 120_000,
        arrears: false,
      });
      const s = await changed();
      expect(s.missingContents).to.deep.equal([a.uid]);
      expect(s.inputs).to.not.include(a.uid);
      expect(s.provisionalReason).to.match(/1 input record\(s\) left out/);
      await upload("tax", [JSON.stringify({ uid: a.uid, record: a.record })]);
      last = await changed();
      expect(last.missingContents).to.deep.equal([]);
      expect(last.inputs).to.include(a.uid);
      expect(last.value).to.be.greaterThan(s.value);
    });

    it("scores a new negative record lower, with its reason", async () => {
      serious = await penalty(subject, "serious", { observedAt: (await chainNow()) - 400n * DAY });
      const s = await changed();
      expect(s.value).to.be.lessThan(last.value);
      expect(s.inputs).to.include(serious.uid);
      expect(s.reasons[0]).to.equal(
        MODEL.model.features.find((f) => f.id === "seriousPenalties")?.reason.code,
      );
      last = s;
    });

    it("counts a repaired negative as the model says (serious penalty: half)", async () => {
      await w.court.requestRepair(serious.uid, h("evidence"));
      const decided = await w.repairAuthority.decideRepair(serious.uid, true, h("decision"));
      await indexed(decided.blockNumber);
      const s = await changed();
      // seriousPenalties: count 1 → −10 points, count 0.5 → 15 points
      expect(s.value).to.equal(last.value + 25);
      expect(s.inputs).to.include(serious.uid);
      last = s;
    });

    it("follows a supersession to the new record", async () => {
      const replacement = { subject, year: 2025, grade: "B" };
      const request = {
        schema: c.schemas.taxGrade,
        subject,
        dataHash: hashCanonical(replacement),
        observedAt: (await chainNow()) - 30n,
        expiresAt: 0n,
        severity: 0,
      };
      const receipt = await w.tax.supersede(taxGrade.uid, request);
      await indexed(receipt.blockNumber);
      const newUid = attestationUid({ ...request, provider: c.ids.tax });
      let s = await changed();
      // the old grade no longer counts; the new one has no contents here yet
      expect(s.inputs).to.not.include(taxGrade.uid);
      expect(s.missingContents).to.deep.equal([newUid]);
      await upload("tax", [JSON.stringify({ uid: newUid, record: replacement })]);
      s = await changed();
      expect(s.inputs).to.include(newUid);
      expect(s.value).to.equal(last.value - 15); // grade B: 45 instead of 60
      last = s;
    });

    it("drops a revoked record", async () => {
      const receipt = await w.court.revoke(serious.uid, h("revoked"));
      await indexed(receipt.blockNumber);
      const s = await changed();
      expect(s.inputs).to.not.include(serious.uid);
      expect(s.value).to.equal(last.value + 15); // no serious penalty: 30 instead of 15
      last = s;
    });

    it("drops an expired record at the first block after its expiry", async () => {
      const expiresAt = (await chainNow()) + 600n;
      const enforcement = await submit(
        "court",
        "judicialEnforcement",
        subject,
        { caseIdHash: h("case:1"), amount: 500_000, listedDate: isoDay(await chainNow()) },
        { expiresAt },
      );
      const listed = await changed();
      expect(listed.inputs).to.include(enforcement.uid);
      expect(listed.value).to.equal(last.value - 60); // open enforcement ≤ 1M: −30 instead of 30
      await rpc(node.url, "evm_increaseTime", [1_200]);
      await rpc(node.url, "evm_mine");
      const head = await ledger.head();
      await indexed(head.number);
      const s = await changed();
      expect(s.inputs).to.not.include(enforcement.uid);
      expect(s.value).to.equal(last.value);
      last = s;
    });

    it("anchors the changed scores as one batch and serves the proof", async () => {
      const result = await scoring.anchorNow();
      expect(result).to.not.equal(null);
      const s = await changed();
      expect(s.verified).to.equal(true);
      expect(s.provisionalSince).to.equal(null);
      expect(s.provisionalReason).to.equal(null);
      const proof = s.proof;
      if (proof === null) throw new Error("no proof");
      expect(proof.root).to.equal(result?.root);
      expect(proof.batchTx).to.equal(result?.txHash);
      expect(proof.inputs).to.deep.equal(s.inputs);
      const leaf = {
        subject,
        score: s.value,
        grade: s.grade,
        modelHash: proof.modelHash,
        inputsHash: scoreInputsHash(proof.inputs),
        asOfBlock: BigInt(s.asOfBlock),
      };
      expect(scoreLeafHash(leaf)).to.equal(proof.leaf);
      expect(verifyScoreProof(leaf, proof.path, proof.root)).to.equal(true);
      const batch = await indexer.getScoreBatch(proof.root);
      expect(batch?.modelHash).to.equal(MODEL.modelHash);
      expect(batch?.asOfBlock).to.equal(BigInt(s.asOfBlock));
      expect(batch?.count).to.equal(result?.count);
      expect(batch?.audit.blockHash).to.equal(proof.blockHash);
      expect(String(batch?.audit.block)).to.equal(proof.blockNumber);
      // every subject scored so far went into that one batch (one transaction)
      expect(result?.count).to.equal(2);
      expect(scoring.status().pending).to.equal(0);
      expect(await scoring.anchorNow()).to.equal(null);
      last = s;
    });

    it("is provisional again after a change; the history keeps verified versions", async () => {
      await penalty(subject, "minor");
      const s = await changed();
      expect(s.verified).to.equal(false);
      expect(s.proof).to.equal(null);
      const r = await gql(url, HISTORY_QUERY, {
        token: await token("regulator"),
        variables: { id: subject, first: 3 },
      });
      expect(r.body.errors).to.equal(undefined);
      const history = (
        r.body.data?.subject as {
          scoreHistory: {
            nodes: { value: number; verified: boolean }[];
            pageInfo: { hasNextPage: boolean };
          };
        }
      ).scoreHistory;
      // newest first: with the penalty's contents; attested, contents missing; the verified one
      expect(history.nodes.map((n) => [n.value, n.verified])).to.deep.equal([
        [s.value, false],
        [last.value, false],
        [last.value, true],
      ]);
      expect(history.pageInfo.hasNextPage).to.equal(true);
      last = s;
    });

    it("rescores every subject with a new model version; old scores keep their model", async () => {
      const document = { ...defaultScorecardModel, version: defaultScorecardModel.version + 1 };
      const next = compileModel(document);
      const result = await scoring.setModel(next);
      expect(result.subjects).to.be.greaterThanOrEqual(2);
      const s = await changed();
      expect(s.model).to.equal(next.modelHash);
      expect(s.value).to.equal(last.value);
      // not registered yet: not anchored, and GraphQL says why
      let error: unknown;
      try {
        await scoring.anchorNow();
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).to.equal("MODEL_NOT_REGISTERED");
      expect((await changed()).provisionalReason).to.match(/is not registered on the ledger/);
      const registration = modelRegistration(document);
      const receipt = await w.scorer.registerModel(registration.modelHash, "credtrail://models/2");
      await indexed(receipt.blockNumber);
      const anchored = await scoring.anchorNow();
      expect(anchored?.count).to.equal(result.changed);
      const verified = await changed();
      expect(verified.verified).to.equal(true);
      expect(verified.proof?.modelHash).to.equal(next.modelHash);
      const page = await scoring.listHistory(subject, { first: 1000 });
      const models = new Set(page.items.map((v) => v.modelHash));
      expect([...models].sort()).to.deep.equal([MODEL.modelHash, next.modelHash].sort());
      await scoring.setModel(MODEL);
      await scoring.anchorNow();
    });
  });

  describe("access", () => {
    const subject = h("subject:access");

    before(async () => {
      await grade(subject);
    });

    it("lenders need a consent; providers do not read scores; every read is audited", async () => {
      const noConsent = await gql(url, SCORE_QUERY, {
        token: await token("lenderA"),
        variables: { id: subject, purpose: PURPOSE },
      });
      expect(codes(noConsent)).to.deep.equal(["CONSENT_REQUIRED"]);
      const provider = await gql(url, SCORE_QUERY, {
        token: await token("tax"),
        variables: { id: subject, purpose: PURPOSE },
      });
      expect(codes(provider)).to.deep.equal(["FORBIDDEN"]);
      const receipt = await w.lenderA.recordConsent(
        subject,
        purposeHash(PURPOSE),
        (await chainNow()) + 365n * DAY,
        h("consent evidence"),
      );
      await indexed(receipt.blockNumber);
      const before = audit.entries.length;
      const s = await score(subject, "lenderA");
      expect(s?.subject).to.equal(subject);
      const entry = audit.entries[before];
      expect(entry.member).to.equal(c.ids.lenderA);
      expect(entry.subject).to.equal(subject);
      expect(entry.operation).to.include("score");
    });

    it("providers do not read score history either", async () => {
      const r: GqlResponse = await gql(url, HISTORY_QUERY, {
        token: await token("tax"),
        variables: { id: h("subject:acme"), first: 1 },
      });
      expect(codes(r)).to.deep.equal(["FORBIDDEN"]);
    });

    it("the literal query of the issue is valid", async () => {
      const r = await gql(
        url,
        `query { subject(subjectId: "${subject}") { score { value grade pd reasons model verified provisionalSince proof { leaf path root batchTx blockNumber blockHash modelHash inputs } } } }`,
        { token: await token("regulator") },
      );
      expect(r.body.errors).to.equal(undefined);
    });
  });

  describe("scoreChanged over server-sent events", () => {
    const subject = h("subject:stream");

    async function openStream(member: TestMember): Promise<{
      next(): Promise<Record<string, unknown>>;
      close(): void;
      status: number;
    }> {
      const controller = new AbortController();
      const response = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await token(member)}`,
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify({
          query: `subscription S($id: ID!, $purpose: String!) { scoreChanged(subjectId: $id, purpose: $purpose) { value verified inputs missingContents proof { root } } }`,
          variables: { id: subject, purpose: PURPOSE },
        }),
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      const events: Record<string, unknown>[] = [];
      return {
        status: response.status,
        async next() {
          const by = Date.now() + 20_000;
          while (events.length === 0) {
            if (Date.now() > by) throw new Error("no event in time");
            const { value, done } = await reader.read();
            if (done) throw new Error("stream ended");
            buffer += decoder.decode(value, { stream: true });
            let end = buffer.indexOf("\n\n");
            while (end !== -1) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = block
                .split("\n")
                .filter((l) => l.startsWith("data:"))
                .map((l) => l.slice(5).trim())
                .join("");
              if (block.startsWith("event: next") && data !== "")
                events.push(JSON.parse(data) as Record<string, unknown>);
              else if (block.startsWith("event: complete")) events.push({ complete: true });
              end = buffer.indexOf("\n\n");
            }
          }
          return events.shift() as Record<string, unknown>;
        },
        close() {
          controller.abort();
        },
      };
    }

    it("delivers every change, and the verification, in order", async () => {
      const stream = await openStream("regulator");
      expect(stream.status).to.equal(200);
      const first = await grade(subject);
      const second = await penalty(subject, "general");
      await scoring.anchorNow();
      const events: {
        value: number;
        verified: boolean;
        inputs: string[];
        missingContents: string[];
      }[] = [];
      for (let i = 0; i < 5; i++) {
        const event = await stream.next();
        events.push((event.data as { scoreChanged: (typeof events)[number] }).scoreChanged);
      }
      stream.close();
      const both = [first.uid, second.uid].sort();
      // attested (contents missing) → contents uploaded, for each record; then verified
      expect(events.map((e) => [e.inputs, e.missingContents, e.verified])).to.deep.equal([
        [[], [first.uid], false],
        [[first.uid], [], false],
        [[first.uid], [second.uid], false],
        [both, [], false],
        [both, [], true],
      ]);
      expect(events[4].value).to.equal(events[3].value);
    });

    it("refuses a lender without consent", async () => {
      const stream = await openStream("lenderB");
      const event = await stream.next();
      stream.close();
      const errors = (event.errors ?? []) as { extensions?: { code?: string } }[];
      expect(errors.map((e) => e.extensions?.code)).to.deep.equal(["CONSENT_REQUIRED"]);
    });
  });

  describe("restart", () => {
    it("keeps scores, history and the pending set; the record key guards the contents", async () => {
      const subject = h("subject:restart");
      await grade(subject);
      const pendingBefore = scoring.status().pending;
      expect(pendingBefore).to.be.greaterThan(0);
      const before = await scoring.getScore(subject);
      await gateway.stop();
      await indexer.stop();
      await scoring.stop();
      scoring = await createScoringService({
        indexer,
        db,
        records,
        model: MODEL,
        writer: w.scorer,
        anchorIntervalMs: 3_600_000,
      });
      await scoring.start();
      indexer.start();
      ({ url } = await startGateway());
      base = url.replace(/\/graphql$/, "");
      expect(scoring.status().pending).to.equal(pendingBefore);
      expect(await scoring.getScore(subject)).to.deep.equal(before);
      const s = await score(subject);
      expect(s?.verified).to.equal(false);
      const anchored = await scoring.anchorNow();
      expect(anchored?.count).to.equal(pendingBefore);
      expect((await score(subject))?.verified).to.equal(true);

      let error: unknown;
      try {
        await createRecordStore({ db, key: "22".repeat(32) });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).to.equal("RECORD_KEY_MISMATCH");
      try {
        await createRecordStore({ db });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).to.equal("RECORD_KEY_MISSING");
    });

    it("without a scorer key, scores stay provisional and say why", async () => {
      const store = createLevelStore(db, "scoring-keyless");
      const keyless = await createScoringService({ indexer, db: store, records, model: MODEL });
      await keyless.start();
      const s = await keyless.getScore(h("subject:acme"));
      expect(s).to.not.equal(null);
      expect(keyless.provisionalReason(s as NonNullable<typeof s>)).to.match(/no scorer key/);
      expect(await keyless.anchorNow()).to.equal(null);
      await keyless.stop();
    });
  });
});
