/**
 * The lender's round trip on a whole node (gateway/main.ts as its own process: indexer, scoring
 * service anchoring score batches every second, gateway): a provider submits records with their
 * contents (`credtrail submit`), a lender records a consent, fetches the verified score
 * (`credtrail score --out`) and checks it against the ledger (`credtrail verify`), with and without
 * the records; a tampered copy fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { expect } from "chai";

import {
  completeUscc,
  defaultScorecardModel,
  modelHash,
  subjectId,
  type VerifyInputRecord,
} from "../../core/index.js";
import { createEvmLedger } from "../../ledger/evm/createEvmLedger.js";
import { deployTestConsortium, TEST_KEYS, type TestConsortium } from "../helpers/evmConsortium.js";
import { freePort, startHardhatNode, type HardhatNode } from "../helpers/hardhatNode.js";
import { REPO, runCli } from "./runCli.js";

const AUDIENCE = "credtrail-node-test";
const CONSORTIUM_KEY = "0x" + "6b".repeat(32);
const USCC = completeUscc("91330100MA2000001");

describe("credtrail score + verify against a whole node", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let c: TestConsortium;
  let gateway: ChildProcess | undefined;
  let gatewayLog = "";
  let dir: string;
  let base: string[];
  let chain: string[];

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    const ledger = await createEvmLedger({ rpcUrl: node.url, addresses: c.addresses });
    await ledger
      .writer(TEST_KEYS.scorer)
      .registerModel(modelHash(defaultScorecardModel), "credtrail://models/sme-v1");
    ledger.close();
    dir = mkdtempSync(path.join(tmpdir(), "credtrail-node-e2e-"));
    const port = await freePort();
    gateway = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(REPO, "gateway", "main.ts"),
        "--db",
        path.join(dir, "db"),
        "--rpc",
        node.url,
        "--consortium",
        c.addresses.consortium,
        "--registry",
        c.addresses.registry,
        "--port",
        String(port),
        "--audience",
        AUDIENCE,
        "--anchor-interval",
        "1",
        "--from-block",
        String(c.deployBlock - 1),
        "--log-level",
        "error",
      ],
      {
        cwd: REPO,
        env: {
          ...process.env,
          CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
          CREDTRAIL_NODE_KEY: TEST_KEYS.operator,
          CREDTRAIL_SCORER_KEY: TEST_KEYS.scorer,
          CREDTRAIL_RECORD_KEY: "0x" + "7c".repeat(32),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const keep = (chunk: Buffer) => {
      gatewayLog = (gatewayLog + chunk.toString("utf8")).slice(-4_000);
    };
    gateway.stdout?.on("data", keep);
    gateway.stderr?.on("data", keep);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (gateway.exitCode !== null) throw new Error(`the node exited:\n${gatewayLog}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (i > 600) throw new Error(`the node did not start:\n${gatewayLog}`);
      await sleep(100);
    }
    base = ["--gateway", url, "--audience", AUDIENCE];
    chain = [
      "--rpc",
      node.url,
      "--consortium",
      c.addresses.consortium,
      "--registry",
      c.addresses.registry,
    ];
  });

  after(async () => {
    if (gateway !== undefined && gateway.exitCode === null) {
      gateway.kill("SIGTERM");
      await new Promise((resolve) => gateway?.once("exit", resolve));
    }
    await node?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const as = (key: keyof typeof TEST_KEYS, member: string) => ({
    CREDTRAIL_KEY: TEST_KEYS[key],
    CREDTRAIL_MEMBER: member,
    CREDTRAIL_CHAIN_ID: c.chainId.toString(),
    CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
  });

  it("a verified score fetched from the node verifies against the ledger; a tampered one does not", async () => {
    const grades = path.join(dir, "grades.csv");
    writeFileSync(grades, `uscc,year,grade\n${USCC},2025,B\n`);
    const payments = path.join(dir, "payments.ndjson");
    writeFileSync(
      payments,
      ["2026-08", "2026-09"]
        .map((m) =>
          JSON.stringify({
            uscc: USCC,
            periodStart: `${m}-01`,
            periodEnd: `${m}-28`,
            taxType: "vat",
            taxPaid: 5000,
            arrears: false,
          }),
        )
        .join("\n"),
    );
    for (const [file, schema] of [
      [grades, "tax.grade"],
      [payments, "tax.payment"],
    ]) {
      const run = await runCli([...base, "submit", file, "--schema", schema], as("tax", c.ids.tax));
      expect(run.code, run.stderr + gatewayLog).to.equal(0);
      expect(run.stdout).to.match(/record contents: \d stored on the node/);
    }
    const consent = await runCli(
      [
        ...base,
        "consent",
        "record",
        "--uscc",
        USCC,
        "--expires-at",
        "2030-01-01",
        "--evidence",
        "form",
      ],
      as("lenderA", c.ids.lenderA),
    );
    expect(consent.code, consent.stderr).to.equal(0);

    const scoreFile = path.join(dir, "score.json");
    let score: { verified?: boolean; inputs?: string[] } = {};
    for (let i = 0; i < 120 && !(score.verified === true && score.inputs?.length === 3); i++) {
      const run = await runCli(
        [...base, "--json", "score", "--uscc", USCC, "--out", scoreFile],
        as("lenderA", c.ids.lenderA),
      );
      if (run.code === 0) score = JSON.parse(run.stdout) as typeof score;
      else await sleep(500);
    }
    expect(score.verified, JSON.stringify(score) + gatewayLog).to.equal(true);

    const modelFile = path.join(dir, "model.json");
    writeFileSync(modelFile, JSON.stringify(defaultScorecardModel));
    const verified = await runCli(["verify", scoreFile, ...chain, "--model", modelFile]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    expect(verified.stdout).to.match(/- recompute\s+not checked \(no records\)/);

    // the lender holds the records (the provider's contents and receipts): full recompute
    const records: VerifyInputRecord[] = [];
    for (const [file, schema] of [
      [grades, "tax.grade.v1"],
      [payments, "tax.payment.v1"],
    ] as const) {
      const log = readFileSync(`${file}.receipts.ndjson`, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const header = log[0];
      const rows = log.filter((r) => r.type === "row");
      const lines =
        file === grades
          ? [{ year: 2025, grade: "B" }]
          : readFileSync(file, "utf8")
              .trim()
              .split("\n")
              .map((l) => {
                const { uscc: _uscc, ...fields } = JSON.parse(l) as Record<string, unknown>;
                return fields;
              });
      rows.forEach((row, i) => {
        records.push({
          uid: row.uid as string,
          schema,
          record: { subject: subjectId(CONSORTIUM_KEY, USCC), ...lines[i] },
          provider: c.ids.tax,
          observedAt: header.observedAt as string,
          expiresAt: "0",
        });
      });
    }
    const recordsFile = path.join(dir, "records.json");
    writeFileSync(recordsFile, JSON.stringify(records));
    const full = await runCli([
      "verify",
      scoreFile,
      ...chain,
      "--model",
      modelFile,
      "--records",
      recordsFile,
    ]);
    expect(full.code, full.stdout + full.stderr).to.equal(0);
    expect(full.stdout).to.match(/✔ recompute\s+recomputed from 3 records/);

    // the regulator sees the lender's reads in the query audit log
    const subject = subjectId(CONSORTIUM_KEY, USCC);
    const audit = await runCli(
      [...base, "audit", "--subject", subject],
      as("regulator", c.ids.regulator),
    );
    expect(audit.code, audit.stderr).to.equal(0);
    expect(audit.stdout).to.match(
      new RegExp(`^\\S+Z ${c.ids.lenderA.slice(0, 10)}… read ${subject.slice(0, 10)}… \\(`, "m"),
    );

    const tampered = JSON.parse(readFileSync(scoreFile, "utf8")) as Record<string, unknown>;
    tampered.grade = tampered.grade === "AAA" ? "AA" : "AAA";
    const bad = await runCli(["verify", "-", ...chain], {}, { stdin: JSON.stringify(tampered) });
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.match(/✘ leaf/);
  });
});
