/**
 * `credtrail submit` end to end: the CLI (a process) against a gateway node (in this process) on a
 * Hardhat node. A small file goes as signed attestations, a larger one as an anchored batch with
 * its leaves uploaded; the receipts prove each row; rerunning — also after an interruption —
 * sends nothing twice.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";

import { completeUscc, type Hex } from "../../core/index.js";
import type { Gateway } from "../../gateway/index.js";
import { createIndexer, type Indexer } from "../../indexer/index.js";
import { createEvmScoreReader, type EvmLedger, type EvmScoreReader } from "../../ledger/index.js";
import { TEST_KEYS, type TestConsortium } from "../helpers/evmConsortium.js";
import { createRelayGateway, startTestLedger } from "../helpers/evmGateway.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { tempDirs } from "../indexer/fixtures.js";
import { runCli, type CliRun } from "./runCli.js";

const AUDIENCE = "credtrail-cli-test";
const CONSORTIUM_KEY = "0x" + "5a".repeat(32);

interface Receipt {
  type: string;
  line?: number;
  uid?: string;
  txHash?: string;
  root?: string;
  leafIndex?: number;
  proof?: string[];
  already?: boolean;
}

/** The receipts file's entries (a torn line, as a crash leaves it, is skipped). */
const receiptsOf = (file: string): Receipt[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Receipt];
      } catch {
        return [];
      }
    });

function uscc(i: number): string {
  return completeUscc(`91440300MA${String(i).padStart(7, "0")}`);
}

describe("credtrail submit on a gateway node", function () {
  this.timeout(300_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let indexer: Indexer;
  let gateway: Gateway;
  let reader: EvmScoreReader;
  let dir: string;
  let env: Record<string, string>;
  let base: string[];

  before(async () => {
    ({ node, c, ledger } = await startTestLedger());
    indexer = await createIndexer({
      db: await dirs.make(),
      ledger,
      fromBlock: BigInt(c.deployBlock - 1),
    });
    indexer.start();
    gateway = createRelayGateway({
      indexer,
      consortium: c,
      audience: AUDIENCE,
      writer: ledger.writer(TEST_KEYS.operator),
      maxBodyBytes: 1024 * 1024,
    });
    const { url } = await gateway.start();
    reader = createEvmScoreReader({ rpcUrl: node.url, addresses: c.addresses, chainId: c.chainId });
    dir = mkdtempSync(path.join(tmpdir(), "credtrail-submit-e2e-"));
    env = {
      CREDTRAIL_KEY: TEST_KEYS.tax,
      CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
      CREDTRAIL_MEMBER: c.ids.tax,
      CREDTRAIL_CHAIN_ID: c.chainId.toString(),
    };
    base = ["--gateway", url.replace(/\/graphql$/, ""), "--audience", AUDIENCE];
  });

  after(async () => {
    await gateway?.stop();
    await indexer?.close();
    reader?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const submit = (file: string, schema: string, ...more: string[]): Promise<CliRun> =>
    runCli([...base, "--json", "submit", file, "--schema", schema, ...more], env);

  it("a small file: one signed attestation per row, receipts with uid and tx; a rerun sends nothing", async () => {
    const file = path.join(dir, "grades.csv");
    writeFileSync(
      file,
      `uscc,year,grade\n${uscc(1)},2025,A\n${uscc(2)},2025,B\n${uscc(3)},2025,C\n`,
    );
    const run = await submit(file, "tax.grade");
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ mode: "single", rows: 3, sent: 3 });
    const receipts = receiptsOf(`${file}.receipts.ndjson`);
    const rows = receipts.filter((r) => r.type === "row");
    expect(rows.map((r) => r.line)).to.deep.equal([2, 3, 4]);
    for (const row of rows) {
      expect(row.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect((await reader.record(row.uid as Hex))?.status).to.equal("active");
    }

    const again = await submit(file, "tax.grade");
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout)).to.include({ sent: 0, skipped: 3 });
    expect(receiptsOf(`${file}.receipts.ndjson`)).to.have.length(receipts.length);
  });

  it("resumes after an interruption without double-submitting", async () => {
    const file = path.join(dir, "grades2.csv");
    writeFileSync(file, `uscc,year,grade\n${uscc(4)},2025,A\n${uscc(5)},2025,M\n`);
    expect((await submit(file, "tax.grade")).code).to.equal(0);
    // the run "crashed" after sending row 3 and before writing its receipt (and tore the line)
    const receiptsFile = `${file}.receipts.ndjson`;
    const lines = readFileSync(receiptsFile, "utf8").trim().split("\n");
    writeFileSync(receiptsFile, `${lines.slice(0, -1).join("\n")}\n${lines.at(-1)?.slice(0, 20)}`);
    const run = await submit(file, "tax.grade");
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ sent: 0, alreadyOnLedger: 1, skipped: 1 });
    const rows = receiptsOf(receiptsFile).filter((r) => r.type === "row");
    expect(rows.at(-1)).to.include({ line: 3, already: true });
  });

  it("a larger file: an anchored batch, uploaded leaves, a proof per row; a rerun sends nothing", async () => {
    const file = path.join(dir, "payments.ndjson");
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        uscc: uscc(100 + i),
        periodStart: "2026-09-01",
        periodEnd: "2026-09-30",
        taxType: "vat",
        taxPaid: 1000 + i,
        arrears: i % 7 === 0,
        ...(i % 7 === 0 ? { arrearsAmount: 10 } : {}),
      }),
    );
    writeFileSync(file, `${lines.join("\n")}\n`);
    const run = await submit(file, "tax.payment");
    expect(run.code, run.stderr).to.equal(0);
    const out = JSON.parse(run.stdout) as { mode: string; root: Hex; rows: number };
    expect(out).to.include({ mode: "batch", rows: 40 });
    const batch = await reader.recordBatch(out.root);
    expect(batch?.count).to.equal(40);
    const receipts = receiptsOf(`${file}.receipts.ndjson`);
    expect(receipts.filter((r) => r.type === "anchored")).to.have.length(1);
    expect(receipts.filter((r) => r.type === "uploaded")).to.have.length(1);
    const rows = receipts.filter((r) => r.type === "row");
    expect(rows).to.have.length(40);
    expect(rows[5]).to.include({ line: 6, leafIndex: 5, root: out.root });
    expect(rows.every((r) => Array.isArray(r.proof) && r.proof.length > 0)).to.equal(true);

    const again = await submit(file, "tax.payment");
    expect(again.code, again.stderr).to.equal(0);
    expect(receiptsOf(`${file}.receipts.ndjson`)).to.have.length(receipts.length);
  });

  it("a batch interrupted after its anchor: the rerun uploads, without a second anchor", async () => {
    const file = path.join(dir, "payments2.csv");
    const rows = Array.from(
      { length: 20 },
      (_, i) => `${uscc(200 + i)},2026-08-01,2026-08-31,vat,${500 + i},false`,
    );
    writeFileSync(file, `uscc,periodStart,periodEnd,taxType,taxPaid,arrears\n${rows.join("\n")}\n`);
    const receiptsFile = path.join(dir, "payments2.receipts");
    expect((await submit(file, "tax.payment", "--receipts", receiptsFile)).code).to.equal(0);
    const kept = receiptsOf(receiptsFile).filter(
      (r) => r.type === "header" || r.type === "anchored",
    );
    writeFileSync(receiptsFile, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const run = await submit(file, "tax.payment", "--receipts", receiptsFile);
    expect(run.code, run.stderr).to.equal(0);
    const receipts = receiptsOf(receiptsFile);
    expect(receipts.filter((r) => r.type === "anchored")).to.have.length(1);
    const row = receipts.find((r) => r.type === "row" && r.leafIndex === 3);
    expect(row?.proof).to.be.an("array");
  });

  it("refuses a receipts file of another version of the file", async () => {
    const file = path.join(dir, "grades.csv");
    writeFileSync(file, `uscc,year,grade\n${uscc(9)},2025,A\n`);
    const run = await submit(file, "tax.grade");
    expect(run.code).to.equal(2);
    expect(run.stderr.trim()).to.match(/^credtrail: .*records another version of grades\.csv/);
  });

  describe("the other users' commands", () => {
    const as = (key: keyof typeof TEST_KEYS, member: Hex) => ({
      CREDTRAIL_KEY: TEST_KEYS[key],
      CREDTRAIL_MEMBER: member,
      CREDTRAIL_CHAIN_ID: c.chainId.toString(),
      CREDTRAIL_CONSORTIUM_KEY: CONSORTIUM_KEY,
    });
    const chain = () => [
      "--rpc",
      node.url,
      "--consortium",
      c.addresses.consortium,
      "--registry",
      c.addresses.registry,
    ];

    it("operator: status shows head, indexed block and lag", async () => {
      const run = await runCli([...base, "status"]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^head block\s+\d+\nindexed block \d+\nlag\s+\d+ s\n$/);
    });

    it("regulator: lineage of a derived record as a tree", async () => {
      const file = path.join(dir, "lineage.csv");
      writeFileSync(file, `uscc,year,grade\n${uscc(300)},2025,A\n${uscc(301)},2025,B\n`);
      const sent = await submit(file, "tax.grade");
      expect(sent.code, sent.stderr).to.equal(0);
      const uids = receiptsOf(`${file}.receipts.ndjson`)
        .filter((r) => r.type === "row")
        .map((r) => r.uid as Hex);
      const derived = await ledger.writer(TEST_KEYS.scorer).derive({
        schema: c.schemas.creditScore,
        subject: ("0x" + "77".repeat(32)) as Hex,
        dataHash: ("0x" + "78".repeat(32)) as Hex,
        modelHash: c.model,
        observedAt: (await ledger.head()).timestamp,
        inputs: uids,
        leafInputs: [],
      });
      const uid = derived.events.find((e) => e.kind === "Derived");
      if (uid?.kind !== "Derived") throw new Error("no Derived event");
      await waitIndexed(derived.blockNumber);
      const run = await runCli([...base, "lineage", uid.uid], as("regulator", c.ids.regulator));
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines).to.have.length(3);
      expect(lines[0], run.stdout).to.match(new RegExp(`^${uid.uid} credit\\.score\\.v1 active`));
      expect(lines[1]).to.match(
        /^├── 0x[0-9a-f]{64} tax\.grade\.v1 active \(State Taxation Administration\)$/,
      );
      expect(lines[2]).to.match(/^└── 0x[0-9a-f]{64} tax\.grade\.v1 active/);
      // a lender may not walk lineage: one line, the gateway's code
      const refused = await runCli([...base, "lineage", uid.uid], as("lenderA", c.ids.lenderA));
      expect(refused.code).to.equal(1);
      expect(refused.stderr.trim()).to.match(/^credtrail: the gateway refused: .*\(FORBIDDEN\)$/);
    });

    it("provider: revoke one of its records through the relay", async () => {
      const file = path.join(dir, "grades.csv");
      const uid = receiptsOf(`${file}.receipts.ndjson`).find((r) => r.type === "row")?.uid as Hex;
      const run = await runCli(
        [...base, "revoke", uid, "--reason", "entered twice"],
        as("tax", c.ids.tax),
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^revoked: tx 0x[0-9a-f]{64} in block \d+/);
      expect((await reader.record(uid))?.status).to.equal("revoked");
    });

    it("lender: consent and dispute; provider: answer the dispute", async () => {
      const consent = await runCli(
        [
          ...base,
          "consent",
          "record",
          "--uscc",
          uscc(2),
          "--purpose",
          "credit-assessment",
          "--expires-at",
          "2030-01-01",
          "--evidence",
          "signed form 88",
        ],
        as("lenderA", c.ids.lenderA),
      );
      expect(consent.code, consent.stderr).to.equal(0);
      expect(consent.stdout).to.match(/^consent recorded: tx 0x[0-9a-f]{64}/);
      const uid = receiptsOf(path.join(dir, "grades.csv.receipts.ndjson")).filter(
        (r) => r.type === "row",
      )[1].uid as Hex;
      const opened = await runCli(
        [...base, "dispute", uid, "--reason", "grade is wrong"],
        as("lenderA", c.ids.lenderA),
      );
      expect(opened.code, opened.stderr).to.equal(0);
      expect((await reader.record(uid))?.disputed).to.equal(true);
      const answered = await runCli(
        [...base, "answer-dispute", uid, "--outcome", "upheld", "--response", "checked"],
        as("tax", c.ids.tax),
      );
      expect(answered.code, answered.stderr).to.equal(0);
      expect((await reader.record(uid))?.disputed).to.equal(false);
      const wrong = await runCli(
        [...base, "answer-dispute", uid, "--outcome", "maybe", "--response", "x"],
        as("tax", c.ids.tax),
      );
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr.trim()).to.equal("credtrail: --outcome must be upheld or corrected");
    });

    it("provider: supersede a record with a corrected one", async () => {
      const uid = receiptsOf(path.join(dir, "grades2.csv.receipts.ndjson")).find(
        (r) => r.type === "row" && r.line === 2,
      )?.uid as Hex;
      const corrected = path.join(dir, "corrected.json");
      writeFileSync(corrected, JSON.stringify({ uscc: uscc(4), year: 2025, grade: "B" }));
      const run = await runCli(
        [...base, "supersede", uid, "--schema", "tax.grade", "--record", corrected],
        as("tax", c.ids.tax),
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^superseded: tx 0x[0-9a-f]{64}/);
      expect((await reader.record(uid))?.status).to.equal("superseded");
    });

    it("operator: deploy a new consortium from a founders file", async () => {
      const founders = path.join(dir, "founders.json");
      writeFileSync(
        founders,
        JSON.stringify({
          threshold: 1,
          founders: [
            {
              name: "Operator",
              roles: ["OPERATOR"],
              keys: [c.address.operator],
            },
            {
              name: "Tax Bureau",
              roles: ["PROVIDER"],
              keys: [c.address.taxAlt],
              categories: ["tax.payment"],
              scopeExpiresAt: "2030-01-01",
            },
          ],
        }),
      );
      const run = await runCli(["--rpc", node.url, "--json", "deploy", "--founders", founders], {
        CREDTRAIL_KEY: TEST_KEYS.relayer,
      });
      expect(run.code, run.stderr).to.equal(0);
      const deployed = JSON.parse(run.stdout) as { consortium: string; registry: string };
      expect(deployed.consortium).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(deployed.registry).to.match(/^0x[0-9a-fA-F]{40}$/);
    });

    it("governance: propose a suspension, list it, vote it through", async () => {
      const proposed = await runCli(
        [...chain(), "--json", "governance", "propose", "suspend", "Bank B"],
        as("court", c.ids.court),
      );
      expect(proposed.code, proposed.stderr).to.equal(0);
      const { proposalId } = JSON.parse(proposed.stdout) as { proposalId: string };
      const listed = await runCli(
        [...chain(), "governance", "list", "--open"],
        as("court", c.ids.court),
      );
      expect(listed.stdout).to.match(
        new RegExp(`#${proposalId} open\\s+1/2\\s+Suspend member=${c.ids.lenderB}`),
      );
      const voted = await runCli(
        [...chain(), "governance", "vote", proposalId],
        as("regulator", c.ids.regulator),
      );
      expect(voted.code, voted.stderr).to.equal(0);
      expect(voted.stdout).to.match(/: executed/);
    });

    it("keys: rotate proposes the new key; once voted in, the old key is revoked with the new one", async () => {
      const keyFile = path.join(dir, "authority-2.key");
      const rotated = await runCli(
        [...chain(), "--json", "keys", "rotate", "--out", keyFile],
        as("repairAuthority", c.ids.repairAuthority),
      );
      expect(rotated.code, rotated.stderr).to.equal(0);
      const { proposalId, newKey } = JSON.parse(rotated.stdout) as {
        proposalId: string;
        newKey: string;
      };
      expect(
        (
          await runCli(
            [...chain(), "governance", "vote", proposalId],
            as("regulator", c.ids.regulator),
          )
        ).code,
      ).to.equal(0);
      const old = c.address.repairAuthority;
      // the new key pays its own gas on this chain
      const provider = new JsonRpcProvider(node.url);
      const deployer = new Wallet(TEST_KEYS.deployer, provider);
      await (await deployer.sendTransaction({ to: newKey, value: 10n ** 18n })).wait();
      provider.destroy();
      const revoked = await runCli(
        [
          ...chain(),
          "--key-file",
          keyFile,
          "--member",
          c.ids.repairAuthority,
          "keys",
          "revoke",
          old,
        ],
        { CREDTRAIL_CHAIN_ID: c.chainId.toString() },
      );
      expect(revoked.code, revoked.stderr).to.equal(0);
      const shown = await runCli(["keys", "show", "--key-file", keyFile]);
      expect(shown.stdout.trim()).to.equal(newKey);
    });
  });

  async function waitIndexed(block: bigint): Promise<void> {
    const by = Date.now() + 20_000;
    while ((await indexer.status()).checkpoint.number < block) {
      if (Date.now() > by) throw new Error(`block ${block} not indexed in time`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
