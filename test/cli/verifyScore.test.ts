/**
 * core verifyScore over the EVM reader, against a real score batch on a Hardhat node: the untampered
 * response passes every check; changing any one of its fields fails it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { verifyScore, type ScoreVerification } from "../../core/index.js";
import { createEvmScoreReader, type EvmScoreReader } from "../../ledger/index.js";
import { TEST_KEYS } from "../helpers/evmConsortium.js";
import { runCli } from "./runCli.js";
import { buildScoreScenario, type ScoreScenario } from "./scoreFixture.js";

type Json = Record<string, unknown>;
const clone = (x: Json): Json => structuredClone(x);
const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");
const failed = (v: ScoreVerification) => v.checks.filter((c) => !c.ok).map((c) => c.name);

describe("verifyScore (core) with the EVM score reader", function () {
  this.timeout(240_000);
  let s: ScoreScenario;
  let reader: EvmScoreReader;

  before(async () => {
    s = await buildScoreScenario();
    reader = createEvmScoreReader({ rpcUrl: s.node.url, addresses: s.consortium.addresses });
  });
  after(async () => {
    reader?.close();
    await s?.stop();
  });

  const full = (response: unknown) =>
    verifyScore(response, reader, { model: s.model, records: s.records });

  it("passes the untampered score with every check, records and model given", async () => {
    const v = await full(s.response);
    expect(failed(v), JSON.stringify(v.checks, null, 1)).to.deep.equal([]);
    expect(v.ok).to.equal(true);
    expect(v.checks.every((c) => c.status === "passed")).to.equal(true);
  });

  it("without records: says what it did not check, and cannot check a batch-leaf input", async () => {
    const v = await verifyScore(s.response, reader);
    // the batch leaf has no ledger record of its own: only its contents and proof show it exists
    expect(failed(v)).to.deep.equal(["inputs.ledger"]);
    expect(v.checks.find((c) => c.name === "inputs.ledger")?.detail).to.match(
      /not on the ledger \(a batch leaf needs its Merkle proof/,
    );
    const recompute = v.checks.find((c) => c.name === "recompute");
    expect(recompute?.status).to.equal("skipped");
    expect(recompute?.detail).to.match(/not checked \(no records\)/);
  });

  it("accepts the GraphQL answer around the score", async () => {
    const v = await full({ data: { subject: { score: s.response } } });
    expect(v.ok).to.equal(true);
  });

  const proof = (r: Json) => r.proof as Json;
  const tampering: Record<string, (r: Json) => void> = {
    subject: (r) => (r.subject = flip(r.subject as string)),
    value: (r) => (r.value = (r.value as number) + 1),
    grade: (r) => (r.grade = r.grade === "AAA" ? "AA" : "AAA"),
    pd: (r) => (r.pd = (r.pd as number) / 2),
    "reasons (order)": (r) => (r.reasons = [...(r.reasons as string[])].reverse()),
    "reasons (dropped)": (r) => (r.reasons = (r.reasons as string[]).slice(1)),
    "reasonDetails.text": (r) => ((r.reasonDetails as Json[])[0].text = "Excellent"),
    "reasonDetails.pointsLost": (r) =>
      ((r.reasonDetails as Json[])[0].pointsLost =
        ((r.reasonDetails as Json[])[0].pointsLost as number) + 1),
    "reasonDetails.feature": (r) => ((r.reasonDetails as Json[])[0].feature = "carbon"),
    "reasons and reasonDetails (both dropped)": (r) => {
      r.reasons = (r.reasons as string[]).slice(1);
      r.reasonDetails = (r.reasonDetails as Json[]).slice(1);
    },
    model: (r) => (r.model = flip(r.model as string)),
    asOf: (r) => (r.asOf = (BigInt(r.asOf as string) - 1n).toString()),
    asOfBlock: (r) => (r.asOfBlock = (BigInt(r.asOfBlock as string) - 1n).toString()),
    "inputs (dropped)": (r) => (r.inputs = (r.inputs as string[]).slice(1)),
    "inputs (changed)": (r) => ((r.inputs as string[])[0] = flip((r.inputs as string[])[0])),
    verified: (r) => (r.verified = false),
    provisionalSince: (r) => (r.provisionalSince = "2026-11-26T00:00:00Z"),
    provisionalReason: (r) => (r.provisionalReason = "INPUT_CHANGED"),
    "missingContents (an input)": (r) => {
      r.missingContents = [(r.inputs as string[])[0]];
    },
    "missingContents (unsorted)": (r) => {
      r.missingContents = ["0x" + "99".repeat(32), "0x" + "11".repeat(32)];
    },
    proof: (r) => (r.proof = null),
    "proof.leaf": (r) => (proof(r).leaf = flip(proof(r).leaf as string)),
    "proof.path": (r) => ((proof(r).path as string[])[0] = flip((proof(r).path as string[])[0])),
    "proof.path (dropped)": (r) => (proof(r).path = []),
    "proof.root": (r) => (proof(r).root = flip(proof(r).root as string)),
    "proof.batchTx (other tx)": (r) => (proof(r).batchTx = s.otherTx),
    "proof.batchTx (unknown)": (r) => (proof(r).batchTx = "0x" + "22".repeat(32)),
    "proof.blockNumber": (r) =>
      (proof(r).blockNumber = (BigInt(proof(r).blockNumber as string) - 1n).toString()),
    "proof.blockHash": (r) => (proof(r).blockHash = flip(proof(r).blockHash as string)),
    "proof.modelHash": (r) => (proof(r).modelHash = flip(proof(r).modelHash as string)),
    "proof.inputs": (r) => (proof(r).inputs = (proof(r).inputs as string[]).slice(1)),
    "a field's type": (r) => (r.value = String(r.value)),
  };

  for (const [field, tamper] of Object.entries(tampering)) {
    it(`fails when ${field} is tampered with`, async () => {
      const r = clone(s.response);
      tamper(r);
      const v = await full(r);
      expect(v.ok, `${field}: ${JSON.stringify(v.checks, null, 1)}`).to.equal(false);
    });
  }

  it("fails a tampered pd even without records, when the model is given", async () => {
    const r = clone(s.response);
    r.pd = 0.5;
    const leafOnly = s.records.filter((x) => x.batch !== undefined);
    const v = await verifyScore(r, reader, { model: s.model, records: leafOnly });
    expect(failed(v)).to.deep.equal(["model.gradePd", "records"]);
  });

  it("fails records that do not hash to the inputs", async () => {
    const records = structuredClone(s.records);
    (records[0].record as Json).grade = "A";
    const v = await verifyScore(s.response, reader, { model: s.model, records });
    expect(failed(v)).to.deep.equal(["records"]);
  });

  it("fails a batch-leaf input whose Merkle proof does not lead to its batch root", async () => {
    const records = structuredClone(s.records);
    const leaf = records.find((r) => r.batch !== undefined);
    if (leaf?.batch === undefined) throw new Error("fixture: no batch leaf");
    leaf.batch.proof = [flip(leaf.batch.proof[0])];
    const v = await verifyScore(s.response, reader, { model: s.model, records });
    expect(failed(v)).to.include("inputs.ledger");
    expect(v.checks.find((c) => c.name === "inputs.ledger")?.detail).to.match(
      /Merkle proof does not lead to the batch root/,
    );
  });

  it("fails a model document that is not the model", async () => {
    const v = await verifyScore(s.response, reader, {
      model: { ...(s.model as Json), version: 2 },
      records: s.records,
    });
    expect(failed(v)).to.include("model.document");
  });

  describe("credtrail verify (the CLI, as a process)", () => {
    let dir: string;
    let args: string[];
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "credtrail-verify-"));
      writeFileSync(path.join(dir, "model.json"), JSON.stringify(s.model));
      writeFileSync(path.join(dir, "records.json"), JSON.stringify(s.records));
      args = [
        "--rpc",
        s.node.url,
        "--registry",
        s.consortium.addresses.registry,
        "--consortium",
        s.consortium.addresses.consortium,
      ];
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("prints every check passed and exits 0", async () => {
      const file = path.join(dir, "score.json");
      writeFileSync(file, JSON.stringify({ data: { subject: { score: s.response } } }));
      const run = await runCli([
        "verify",
        file,
        ...args,
        "--model",
        path.join(dir, "model.json"),
        "--records",
        path.join(dir, "records.json"),
      ]);
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      const lines = run.stdout.trimEnd().split("\n");
      expect(
        lines.slice(0, -1).every((l) => l.startsWith("✔ ")),
        run.stdout,
      ).to.equal(true);
      expect(lines.at(-1)).to.equal("score verified against the ledger");
    });

    it("reads stdin, prints the failed check and exits 1 for a tampered score", async () => {
      const r = clone(s.response);
      r.value = (r.value as number) - 1;
      const run = await runCli(["verify", ...args], {}, { stdin: JSON.stringify(r) });
      expect(run.code).to.equal(1);
      expect(run.stdout).to.match(/✘ leaf\s+the score hashes to leaf/);
      expect(run.stdout).to.match(/score NOT verified/);
      expect(run.stderr).to.equal("");
    });

    it("--json prints the checks as JSON", async () => {
      const run = await runCli(
        [
          "--json",
          "verify",
          ...args,
          "--model",
          path.join(dir, "model.json"),
          "--records",
          path.join(dir, "records.json"),
        ],
        {},
        { stdin: JSON.stringify(s.response) },
      );
      const result = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string }[] };
      expect(result.checks.map((c) => c.name)).to.include("recompute");
      // a verified score: ok and exit 0 (a failed one is exit 1, tested above)
      expect(result.ok, run.stdout).to.equal(true);
      expect(run.code).to.equal(0);
    });
  });

  // last: it changes the ledger
  describe("after an input is revoked", () => {
    it("warns, without failing: the score was right as of its block", async () => {
      await s.ledger
        .writer(TEST_KEYS.tax)
        .revoke(s.storedUid, ("0x" + "33".repeat(32)) as `0x${string}`);
      const v = await full(s.response);
      expect(v.ok).to.equal(true);
      const current = v.checks.find((c) => c.name === "inputs.current");
      expect(current?.status).to.equal("warning");
      expect(current?.detail).to.match(/revoked now/);
    });
  });
});
