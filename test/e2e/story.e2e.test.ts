/**
 * The whole story on the real stack, as separate processes: `scripts/local/up.ts` (the durable
 * local chain, the demo consortium founded by governance, a small demo data set, and the node:
 * indexer + scoring + gateway), then, over HTTP and the chain only:
 *
 * 1. providers submit records: a single signed attestation (relayed) and a batch (anchored through
 *    a forward request, leaves streamed to the node), with their contents;
 * 2. a lender with a consent sees the enterprise's score provisional, then verified; a lender
 *    without one is refused;
 * 3. a regulator walks from the score to its source records and their providers;
 * 4. a record is revoked: the score is recomputed without it;
 * 5. a dispute is opened and answered; a repair is approved and the score changes;
 * 6. `credtrail verify` passes on the final proof and fails on a tampered one;
 * 7. the node is killed and restarted (the chain restored from its journal) and serves the same
 *    answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Interface, Wallet } from "ethers";

import type { Hex } from "../../core/index.js";
import {
  SCHEMAS,
  attestationUid,
  buildRecordBatch,
  completeUscc,
  forwarderDomain,
  memberId,
  purposeHash,
  recordDataHash,
  recordSeverity,
  registryDomain,
  signAttest,
  signForwardRequest,
  subjectId,
} from "../../core/index.js";
import { bearer, createLoginToken } from "../../gateway/auth/index.js";
import { DEMO_MEMBERS, demoKeys, type DemoMemberName } from "../../scripts/local/consortium.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import { REPO_ROOT, freePort } from "../helpers/hardhatNode.js";

const REGISTRY = new Interface(CreditRegistry__factory.abi);
const PURPOSE = "credit-assessment";
const ANCHOR_SECONDS = 3;

interface Local {
  chainId: string;
  addresses: { consortium: string; registry: string; forwarder: string };
  schemas: Record<string, Hex>;
  consortiumKey: Hex;
  consentSubjects: Hex[];
}

interface Gql {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

describe("end to end: the local consortium as separate processes (make up)", function () {
  this.timeout(900_000);
  const data = mkdtempSync(path.join(tmpdir(), "credtrail-e2e-"));
  let port: number;
  let chainPort: number;
  let up: ChildProcess | undefined;
  let output = "";
  let local: Local;
  let base: string;
  const keys = demoKeys();

  async function startUp(): Promise<void> {
    output = "";
    up = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(REPO_ROOT, "scripts", "local", "up.ts"),
        "--data",
        data,
        "--port",
        String(port),
        "--chain-port",
        String(chainPort),
        "--enterprises",
        "40",
        "--anchor-interval",
        String(ANCHOR_SECONDS),
        // under `hardhat test --coverage` the contracts are instrumented and exceed 24 KiB
        "--unlimited-contract-size",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const child = up;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (output.includes("local consortium is up")) resolve();
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        reject(new Error(`up exited with ${code}:\n${output.slice(-3_000)}`));
      });
    });
    local = JSON.parse(readFileSync(path.join(data, "local.json"), "utf8")) as Local;
    base = `http://127.0.0.1:${port}`;
  }

  async function stopUp(signal: NodeJS.Signals = "SIGINT"): Promise<void> {
    const child = up;
    up = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => {
        resolve();
      });
      child.kill(signal);
    });
  }

  const tokens = new Map<DemoMemberName, string>();
  async function token(name: DemoMemberName): Promise<string> {
    let t = tokens.get(name);
    if (t === undefined) {
      t = await createLoginToken(new Wallet(keys[name]), {
        chainId: BigInt(local.chainId),
        member: memberId(DEMO_MEMBERS[name].name),
        audience: `${base}/graphql`,
        lifetimeSeconds: 3_600,
        now: BigInt(Math.floor(Date.now() / 1000)),
      });
      tokens.set(name, t);
    }
    return t;
  }

  async function gql(
    name: DemoMemberName | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Gql> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (name !== null) headers.authorization = bearer(await token(name));
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Gql;
  }

  const ok = (r: Gql): Record<string, unknown> => {
    expect(r.errors, JSON.stringify(r.errors)).to.equal(undefined);
    return r.data as Record<string, unknown>;
  };

  async function relay(name: DemoMemberName, mutation: string, fn: string, args: unknown[]) {
    const from = new Wallet(keys[name]).address;
    const info = ok(
      await gql(name, `query I($k: String!) { relayInfo(key: $k) { forwarder nonce } }`, {
        k: from,
      }),
    ).relayInfo as { forwarder: string; nonce: string };
    const signed = await signForwardRequest(
      new Wallet(keys[name]),
      forwarderDomain(BigInt(local.chainId), info.forwarder),
      {
        from,
        to: local.addresses.registry,
        gas: 2_000_000n,
        nonce: BigInt(info.nonce),
        deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
        data: REGISTRY.encodeFunctionData(fn, args),
      },
    );
    const r = await gql(
      name,
      `mutation M($r: ForwardRequestInput!) { ${mutation}(request: $r) { txHash blockNumber ids } }`,
      {
        r: {
          from: signed.from,
          to: signed.to,
          gas: String(signed.gas),
          nonce: String(signed.nonce),
          deadline: String(signed.deadline),
          data: signed.data,
          signature: signed.signature,
        },
      },
    );
    return ok(r)[mutation] as { txHash: string; blockNumber: string; ids: string[] };
  }

  /** Waits until the node has indexed `block` (a write's receipt block). */
  async function indexed(block: string | bigint): Promise<void> {
    const by = Date.now() + 30_000;
    for (;;) {
      const meta = ok(await gql(null, "{ _meta { indexedBlock } }"))._meta as {
        indexedBlock: string;
      };
      if (BigInt(meta.indexedBlock) >= BigInt(block)) return;
      if (Date.now() > by) throw new Error(`block ${block} not indexed in 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function ndjson(name: DemoMemberName, url: string, lines: unknown[]) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson", authorization: bearer(await token(name)) },
      body: `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`,
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).to.equal(200);
    return body;
  }

  const SCORE = `query S($s: ID!) { subject(subjectId: $s, purpose: "${PURPOSE}") {
    score { subject value grade pd reasons reasonDetails { code text feature pointsLost } model asOf asOfBlock
      inputs verified provisionalSince provisionalReason missingContents
      proof { leaf path root batchTx blockNumber blockHash modelHash inputs
        leafInputs { uid root index subject dataHash observedAt expiresAt severity path } } } } }`;
  type Score = {
    value: number;
    grade: string;
    verified: boolean;
    inputs: string[];
    proof: unknown;
  } & Record<string, unknown>;

  async function score(subject: Hex, lender: DemoMemberName = "bankA"): Promise<Score | null> {
    const d = ok(await gql(lender, SCORE, { s: subject }));
    return (d.subject as { score: Score | null } | null)?.score ?? null;
  }

  /** Polls until `check` accepts the score (or times out with the last one). */
  async function scoreUntil(
    subject: Hex,
    check: (s: Score | null) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<Score> {
    const by = Date.now() + timeoutMs;
    let last: Score | null = null;
    while (Date.now() < by) {
      last = await score(subject);
      if (check(last)) return last as Score;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what}: last score ${JSON.stringify(last)}`);
  }

  before(async () => {
    port = await freePort();
    chainPort = await freePort();
    await startUp();
  });

  after(async () => {
    await stopUp();
    rmSync(data, { recursive: true, force: true });
  });

  // the enterprise of the story: a new one, with a consent of Bank A recorded below
  const uscc = completeUscc("91310115MA1K4ABCD");
  let subject: Hex;
  let taxUid: Hex;
  let penaltyUid: Hex;
  let batchUids: Hex[];
  let verifiedScore: Score;

  it("providers submit a signed attestation and a batch, with the records' contents", async () => {
    subject = subjectId(local.consortiumKey, uscc);
    const now = Math.floor(Date.now() / 1000);
    // Bank A's consent for the subject (a relayed forward request)
    await relay("bankA", "recordConsent", "recordConsent", [
      subject,
      purposeHash(PURPOSE),
      BigInt(now + 30 * 86_400),
      subject,
    ]);
    // the tax bureau: grade A, as a signed attestation relayed by submitAttestation
    const grade = { subject, year: 2025, grade: "A" };
    const request = {
      schema: local.schemas["tax.grade"],
      subject,
      dataHash: recordDataHash(SCHEMAS["tax.grade"], grade),
      observedAt: BigInt(now - 86_400),
      expiresAt: 0n,
      severity: recordSeverity(SCHEMAS["tax.grade"], grade),
    };
    const nonce = BigInt(now);
    const deadline = BigInt(now + 600);
    const signature = await signAttest(
      new Wallet(keys.tax),
      registryDomain(BigInt(local.chainId), local.addresses.registry),
      request,
      nonce,
      deadline,
    );
    const submitted = ok(
      await gql(
        "tax",
        `mutation A($i: SignedAttestationInput!) { submitAttestation(input: $i) { uid txHash blockNumber } }`,
        {
          i: {
            request: {
              ...request,
              observedAt: String(request.observedAt),
              expiresAt: "0",
            },
            signer: new Wallet(keys.tax).address,
            nonce: String(nonce),
            deadline: String(deadline),
            signature,
          },
        },
      ),
    ).submitAttestation as { uid: Hex; blockNumber: string };
    taxUid = submitted.uid;
    expect(taxUid).to.equal(
      attestationUid({ ...request, provider: memberId(DEMO_MEMBERS.tax.name) }),
    );
    // the market regulator: a minor penalty, attested through a forward request
    const penalty = {
      subject,
      decisionIdHash: `0x${"ab".repeat(32)}`,
      authority: "Shanghai Administration for Market Regulation",
      penaltyType: "warning",
      severity: "minor",
      decisionDate: new Date((now - 40 * 86_400) * 1000).toISOString().slice(0, 10),
    };
    const penaltyRequest = {
      schema: local.schemas["admin.penalty"],
      subject,
      dataHash: recordDataHash(SCHEMAS["admin.penalty"], penalty),
      observedAt: BigInt(now - 40 * 86_400),
      expiresAt: 0n,
      severity: recordSeverity(SCHEMAS["admin.penalty"], penalty),
    };
    // (attest is not one of the relayed mutations: the provider's own signed attestation)
    const penaltyNonce = BigInt(now + 1);
    const penaltySignature = await signAttest(
      new Wallet(keys.market),
      registryDomain(BigInt(local.chainId), local.addresses.registry),
      penaltyRequest,
      penaltyNonce,
      deadline,
    );
    penaltyUid = (
      ok(
        await gql(
          "market",
          `mutation A($i: SignedAttestationInput!) { submitAttestation(input: $i) { uid } }`,
          {
            i: {
              request: {
                ...penaltyRequest,
                observedAt: String(penaltyRequest.observedAt),
                expiresAt: "0",
              },
              signer: new Wallet(keys.market).address,
              nonce: String(penaltyNonce),
              deadline: String(deadline),
              signature: penaltySignature,
            },
          },
        ),
      ).submitAttestation as { uid: Hex }
    ).uid;
    // social insurance: three months as a batch
    const months = [1, 2, 3].map((m) => ({
      subject,
      year: 2026,
      month: m + 6,
      insuredEmployees: 40 + m,
      contributionPaid: 50_000,
      arrears: false,
    }));
    const leaves = months.map((r) => ({
      subject,
      dataHash: recordDataHash(SCHEMAS["social.insurance"], r),
      observedAt: BigInt(now - (4 - months.indexOf(r)) * 30 * 86_400),
      expiresAt: 0n,
      severity: 0,
    }));
    const batch = buildRecordBatch(leaves);
    const anchored = await relay("social", "anchorBatch", "anchorBatch", [
      local.schemas["social.insurance"],
      batch.root,
      3,
      "e2e://social",
    ]);
    await indexed(anchored.blockNumber);
    await ndjson(
      "social",
      `${base}/batches/${batch.root}/leaves`,
      batch.leaves.map((l) => ({ ...l, observedAt: String(l.observedAt), expiresAt: "0" })),
    );
    const anchor = {
      schema: local.schemas["social.insurance"],
      provider: memberId(DEMO_MEMBERS.social.name),
    };
    batchUids = months.map((_, i) => batch.leafUid(i, anchor));
    await ndjson("tax", `${base}/records`, [{ uid: taxUid, record: grade }]);
    await ndjson("market", `${base}/records`, [{ uid: penaltyUid, record: penalty }]);
    await ndjson(
      "social",
      `${base}/records`,
      months.map((record, i) => ({ uid: batchUids[i], record })),
    );
  });

  it("a lender with consent sees the score provisional, then verified; without consent it is refused", async () => {
    const provisional = await scoreUntil(
      subject,
      (s) => s !== null && s.inputs.length === 5,
      "a provisional score over the five records",
    );
    expect(provisional.inputs).to.include.members([taxUid, penaltyUid, ...batchUids]);
    verifiedScore = await scoreUntil(
      subject,
      (s) => s?.verified === true && s.inputs.length === 5,
      "the score verified",
      (ANCHOR_SECONDS + 30) * 1000,
    );
    expect(verifiedScore.proof).to.not.equal(null);
    const refused = await gql("bankB", SCORE, { s: subject });
    expect(refused.errors?.map((e) => e.extensions?.code)).to.deep.equal(["CONSENT_REQUIRED"]);
  });

  it("a regulator walks from the score to its source records and their providers", async () => {
    for (const uid of verifiedScore.inputs) {
      const a = ok(
        await gql(
          "regulator",
          `query A($u: ID!) { attestation(uid: $u) { uid status provider { name } anchoring { blockNumber txHash } } }`,
          { u: uid },
        ),
      ).attestation as { status: string; provider: { name: string } };
      expect(a.status).to.equal("ACTIVE");
      expect(Object.values(DEMO_MEMBERS).map((m) => m.name)).to.include(a.provider.name);
    }
  });

  it("a revoked record leaves the score; a dispute is opened and answered; an approved repair changes the score", async () => {
    // the tax bureau revokes its grade record: the score is recomputed without it
    await relay("tax", "revokeAttestation", "revoke", [taxUid, taxUid]);
    const afterRevoke = await scoreUntil(
      subject,
      (s) => s !== null && !s.inputs.includes(taxUid),
      "the score without the revoked record",
    );
    expect(afterRevoke.inputs).to.have.length(4);
    await relay("bankA", "openDispute", "openDispute", [penaltyUid, penaltyUid]);
    const answered = await relay("market", "answerDispute", "answerDispute", [
      penaltyUid,
      1,
      penaltyUid,
    ]);
    await indexed(answered.blockNumber);
    const disputes = ok(await gql("regulator", `{ disputes(first: 50) { nodes { uid status } } }`))
      .disputes as { nodes: { uid: string; status: string }[] };
    expect(disputes.nodes.find((d) => d.uid === penaltyUid)?.status).to.equal("ANSWERED");
    const before = await score(subject);
    await relay("market", "requestRepair", "requestRepair", [penaltyUid, penaltyUid]);
    await relay("repair", "decideRepair", "decideRepair", [penaltyUid, true, penaltyUid]);
    verifiedScore = await scoreUntil(
      subject,
      (s) => s !== null && s.verified && s.value !== before?.value,
      "a new verified score after the repair",
      (ANCHOR_SECONDS + 30) * 1000,
    );
  });

  it("credtrail verify passes on the proof and fails on a tampered one", async () => {
    const file = path.join(data, "score.json");
    const run = (json: unknown) => {
      writeFileSync(file, JSON.stringify(json));
      return new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            path.join(REPO_ROOT, "scripts", "cli", "main.ts"),
            "verify",
            file,
            "--rpc",
            `http://127.0.0.1:${chainPort}`,
            "--registry",
            local.addresses.registry,
            "--consortium",
            local.addresses.consortium,
          ],
          { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
        child.once("exit", (code) => {
          resolve({ code, out });
        });
      });
    };
    const good = await run(verifiedScore);
    expect(good.code, good.out).to.equal(0);
    const tampered = await run({ ...verifiedScore, value: verifiedScore.value + 1 });
    // 1 is "not verified"; any other code (2 usage, 3 unreachable, …) is a failure of the test
    expect(tampered.code, tampered.out).to.equal(1);
    expect(tampered.out).to.match(/score NOT verified/);
  });

  it("killed and restarted, the node serves the same answers", async () => {
    const before = await score(subject);
    await stopUp("SIGKILL");
    // SIGKILL of up leaves its children: end them by port
    await new Promise((r) => setTimeout(r, 500));
    spawn("pkill", ["-f", data]);
    await new Promise((r) => setTimeout(r, 2_000));
    await startUp();
    const after = await scoreUntil(
      subject,
      (s) => s !== null && s.verified,
      "the score after the restart",
    );
    expect(after).to.deep.equal(before);
  });
});
