/**
 * The `credtrail` CLI as a user meets it (spawned as a process): user mistakes end in one line and
 * a non-zero exit, never a stack trace; `submit` checks every row before sending anything and
 * names the bad lines.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { completeUscc } from "../../core/index.js";
import { runCli, type CliRun } from "./runCli.js";

const KEY = "0x" + "11".repeat(32);
const CONSORTIUM_KEY = "0x" + "22".repeat(32);
const ADDRESS = "0x" + "33".repeat(20);
const B32 = "0x" + "44".repeat(32);
/** A score response of the right shape (its values need a node to judge). */
const SHAPED = {
  subject: B32,
  value: 650,
  grade: "BBB",
  pd: 0.01,
  reasons: [],
  reasonDetails: [],
  model: B32,
  asOf: "1",
  asOfBlock: "1",
  inputs: [],
  verified: true,
  provisionalSince: null,
  provisionalReason: null,
  missingContents: [],
  proof: {
    leaf: B32,
    path: [],
    root: B32,
    batchTx: B32,
    blockNumber: "2",
    blockHash: B32,
    modelHash: B32,
    inputs: [],
  },
};
export const USCC_A = completeUscc("91350100M000100Y4");
export const USCC_B = completeUscc("91110000MA0000001");

function expectOneLine(run: CliRun, pattern: RegExp, code = 2): void {
  expect(run.code, run.stderr).to.equal(code);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^credtrail: /);
  expect(lines[0]).to.match(pattern);
  expect(run.stderr).not.to.match(/\n\s+at /);
}

describe("credtrail CLI: user mistakes", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "credtrail-cli-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("an unknown option", async () => {
    expectOneLine(await runCli(["--nope"]), /unknown option '--nope'/);
  });

  it("an unknown command", async () => {
    expectOneLine(await runCli(["frobnicate"]), /unknown command 'frobnicate'/);
  });

  it("verify: a missing file", async () => {
    expectOneLine(
      await runCli(["verify", path.join(dir, "none.json"), "--rpc", "http://127.0.0.1:1"]),
      /no such file/,
    );
  });

  it("verify: no --rpc", async () => {
    const file = path.join(dir, "score.json");
    writeFileSync(file, JSON.stringify(SHAPED));
    expectOneLine(await runCli(["verify", file]), /--rpc URL \(or CREDTRAIL_RPC\) is required/);
  });

  it("verify: a file that is not JSON", async () => {
    const file = path.join(dir, "bad.json");
    writeFileSync(file, "not json");
    expectOneLine(await runCli(["verify", file, "--rpc", "http://127.0.0.1:1"]), /is not JSON/);
  });

  it("verify: no score in the answer fails its shape check (exit 1)", async () => {
    const run = await runCli(
      [
        "verify",
        "-",
        "--rpc",
        "http://127.0.0.1:1",
        "--registry",
        ADDRESS,
        "--consortium",
        ADDRESS,
      ],
      {},
      { stdin: JSON.stringify({ data: { subject: { score: null } } }) },
    );
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout).to.match(/✘ response\.shape\s+score response: score is missing/);
  });

  it("verify: a node that does not answer", async () => {
    const file = path.join(dir, "some.json");
    writeFileSync(file, JSON.stringify(SHAPED));
    const run = await runCli([
      "verify",
      file,
      "--rpc",
      "http://127.0.0.1:1",
      "--registry",
      ADDRESS,
      "--consortium",
      ADDRESS,
    ]);
    expectOneLine(run, /cannot reach the ledger node at http:\/\/127\.0\.0\.1:1/, 3);
  });

  it("keys show: no key, a bad key", async () => {
    expectOneLine(
      await runCli(["keys", "show"]),
      /no key: give --key-file FILE or set CREDTRAIL_KEY/,
    );
    expectOneLine(
      await runCli(["keys", "show"], { CREDTRAIL_KEY: "0x1234" }),
      /not a 32-byte hex private key/,
    );
  });

  it("keys create, show; refuses to overwrite", async () => {
    const file = path.join(dir, "member.key");
    const created = await runCli(["--json", "keys", "create", "--out", file]);
    expect(created.code, created.stderr).to.equal(0);
    const { address } = JSON.parse(created.stdout) as { address: string };
    const shown = await runCli(["keys", "show", "--key-file", file]);
    expect(shown.stdout.trim()).to.equal(address);
    expectOneLine(await runCli(["keys", "create", "--out", file]), /exists/);
  });

  it("submit: no consortium key, an unknown schema", async () => {
    const file = path.join(dir, "rows.csv");
    writeFileSync(file, "uscc,year,grade\n");
    expectOneLine(
      await runCli(["submit", file, "--schema", "tax.grade"], { CREDTRAIL_KEY: KEY }),
      /CREDTRAIL_CONSORTIUM_KEY is not set/,
    );
    expectOneLine(
      await runCli(["submit", file, "--schema", "tax.nothing"], { CREDTRAIL_KEY: KEY }),
      /unknown schema tax\.nothing/,
    );
  });

  it("score: neither --uscc nor --subject; lineage: a bad uid", async () => {
    expectOneLine(
      await runCli(["score"], { CREDTRAIL_KEY: KEY }),
      /exactly one of --uscc and --subject/,
    );
    expectOneLine(await runCli(["lineage", "0x12"]), /is not a bytes32/);
  });
});

describe("credtrail submit: rows are checked before anything is sent", function () {
  this.timeout(120_000);
  let dir: string;
  let server: Server;
  let gateway: string;
  let requests = 0;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "credtrail-submit-"));
    server = createServer((req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    gateway = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const env = {
    CREDTRAIL_KEY: KEY,
    CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
    CREDTRAIL_MEMBER: "State Taxation Administration",
    CREDTRAIL_CHAIN_ID: "31337",
  };

  it("reports every bad CSV row with its line number and sends nothing", async () => {
    const file = path.join(dir, "grades.csv");
    writeFileSync(
      file,
      [
        "uscc,year,grade",
        `${USCC_A},2025,A`,
        `91350100M000100Y40,2025,A`, // wrong check character
        `${USCC_B},2025,E`, // not a grade
        `${USCC_B},1800,B`, // year out of range
        `${USCC_A},2024`, // a cell missing
        `SHORT,2025,A`,
        `${USCC_A},2025,A`, // repeats line 2
        "",
      ].join("\n"),
    );
    const run = await runCli(["--gateway", gateway, "submit", file, "--schema", "tax.grade"], env);
    expect(run.code, run.stderr).to.equal(2);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines.slice(0, -1).map((l) => l.slice(file.length + 1).split(":")[0])).to.deep.equal([
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
    ]);
    expect(lines[0]).to.match(/check character/);
    expect(lines[1]).to.match(/grade/);
    expect(lines[2]).to.match(/year/);
    expect(lines[3]).to.match(/has 2 cells, the header has 3/);
    expect(lines[4]).to.match(/USCC/);
    expect(lines[5]).to.match(/repeats line 2/);
    expect(lines.at(-1)).to.equal(`credtrail: 6 bad rows in ${file}: nothing was sent`);
    expect(requests).to.equal(0);
    expect(existsSync(`${file}.receipts.ndjson`)).to.equal(false);
  });

  it("checks NDJSON rows the same way", async () => {
    const file = path.join(dir, "payments.ndjson");
    writeFileSync(
      file,
      [
        JSON.stringify({
          uscc: USCC_A,
          periodStart: "2026-01-01",
          periodEnd: "2026-01-31",
          taxType: "vat",
          taxPaid: 100,
          arrears: false,
        }),
        "{not json",
        JSON.stringify({
          uscc: USCC_B,
          periodStart: "2026-01-01",
          periodEnd: "2026-01-31",
          taxType: "vat",
          taxPaid: "100",
          arrears: false,
        }),
        JSON.stringify({
          uscc: USCC_B,
          periodStart: "2026-01-01",
          periodEnd: "2026-01-31",
          taxType: "vat",
          taxPaid: 1,
          arrears: false,
          colour: "red",
        }),
      ].join("\n"),
    );
    const run = await runCli(
      ["--gateway", gateway, "submit", file, "--schema", "tax.payment.v1"],
      env,
    );
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/payments\.ndjson:2: is not JSON/);
    expect(run.stderr).to.match(/payments\.ndjson:3: taxPaid/);
    expect(run.stderr).to.match(/payments\.ndjson:4: colour is not a field of the schema/);
    expect(requests).to.equal(0);
  });

  it("--dry-run passes a clean file and sends nothing", async () => {
    const file = path.join(dir, "clean.csv");
    writeFileSync(file, `uscc,year,grade\n${USCC_A},2025,A\n${USCC_B},2025,B\n`);
    const run = await runCli(
      ["--gateway", gateway, "submit", file, "--schema", "tax.grade", "--dry-run"],
      env,
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/2 rows of tax\.grade\.v1 are valid/);
    expect(requests).to.equal(0);
  });
});

describe("credtrail score: against a gateway (a stub answering GraphQL)", function () {
  this.timeout(60_000);
  let dir: string;
  let server: Server;
  let gateway: string;
  const seen: { authorization?: string; query: string; variables: Record<string, unknown> }[] = [];
  let answer: unknown;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "credtrail-score-"));
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        const parsed = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
        seen.push({ authorization: req.headers.authorization, ...parsed });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    gateway = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const env = {
    CREDTRAIL_KEY: KEY,
    CREDTRAIL_MEMBER: "Bank A",
    CREDTRAIL_CHAIN_ID: "31337",
    CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
  };

  it("asks for the subject's score with a login token and writes it for verify", async () => {
    answer = { data: { subject: { id: B32, score: SHAPED } } };
    const out = path.join(dir, "score.json");
    const run = await runCli(["--gateway", gateway, "score", "--uscc", USCC_A, "--out", out], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^650 BBB pd 0\.01 verified as of block 1\n/);
    const request = seen.at(-1);
    expect(request?.authorization).to.match(/^Bearer [A-Za-z0-9_-]+$/);
    expect(request?.variables.id).to.match(/^0x[0-9a-f]{64}$/);
    expect(request?.query).to.match(/proof \{ leaf path root batchTx/);
    expect(JSON.parse(readFileSync(out, "utf8"))).to.deep.equal(SHAPED);
  });

  it("a refusal is one line with the gateway's code", async () => {
    answer = {
      errors: [{ message: "no consent in force", extensions: { code: "CONSENT_REQUIRED" } }],
      data: null,
    };
    const run = await runCli(["--gateway", gateway, "score", "--subject", B32], env);
    expectOneLine(run, /the gateway refused: no consent in force \(CONSENT_REQUIRED\)/, 1);
  });

  it("an unreachable gateway is one line, exit 3", async () => {
    const run = await runCli(["--gateway", "http://127.0.0.1:1", "score", "--subject", B32], env);
    expectOneLine(run, /cannot reach the gateway at http:\/\/127\.0\.0\.1:1/, 3);
  });
});
