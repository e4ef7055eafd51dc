/**
 * gateway/main.ts as a process (indexer + audit log + gateway over one LevelDB) against a Hardhat
 * node with the test consortium: ready once caught up, `_meta` for anyone, members for a regulator
 * signed in with its ledger key, a lender refused without consent, clean exit on SIGTERM.
 */
import { spawn } from "node:child_process";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";

import { registryDomain, signAttest } from "../../core/index.js";
import { bearer, createLoginToken } from "../../gateway/auth/index.js";
import type { TestConsortium } from "../helpers/evmConsortium.js";
import { TEST_KEYS, deployTestConsortium } from "../helpers/evmConsortium.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { REPO_ROOT, freePort, startHardhatNode } from "../helpers/hardhatNode.js";
import { h, tempDirs } from "../indexer/fixtures.js";

async function post(
  url: string,
  query: string,
  token?: string,
): Promise<{
  status: number;
  body: { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
}> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = bearer(token);
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query }) });
  return {
    status: response.status,
    body: (await response.json()) as { data?: Record<string, unknown> },
  };
}

describe("gateway node process (gateway/main.ts) against a Hardhat node", function () {
  this.timeout(240_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
  });
  after(async () => {
    await node?.stop();
    await dirs.cleanup();
  });

  it("starts, serves reads with ledger-based access control, and stops on SIGTERM", async () => {
    const port = await freePort();
    const audience = "credtrail-e2e";
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(REPO_ROOT, "gateway", "main.ts"),
        "--db",
        await dirs.make(),
        "--rpc",
        node.url,
        "--consortium",
        c.addresses.consortium,
        "--registry",
        c.addresses.registry,
        "--from-block",
        String(c.deployBlock - 1),
        "--port",
        String(port),
        "--audience",
        audience,
        "--log-level",
        "warn",
      ],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, CREDTRAIL_NODE_KEY: TEST_KEYS.operator },
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => {
        resolve(code);
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      const readyBy = Date.now() + 120_000;
      let ready = false;
      while (!ready && Date.now() < readyBy) {
        try {
          ready = (await fetch(`${base}/readyz`)).status === 200;
        } catch {
          // not listening yet
        }
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, stderr).to.equal(true);

      const meta = await post(`${base}/graphql`, "{ _meta { headBlock indexedBlock lagSeconds } }");
      expect(meta.body.errors).to.equal(undefined);

      const now = BigInt(Math.floor(Date.now() / 1000));
      const token = (key: keyof typeof TEST_KEYS, member: string) =>
        createLoginToken(new Wallet(TEST_KEYS[key]), {
          chainId: c.chainId,
          member,
          audience,
          lifetimeSeconds: 600,
          now,
        });
      const members = await post(
        `${base}/graphql`,
        "{ members { nodes { name roles } } }",
        await token("regulator", c.ids.regulator),
      );
      expect(members.body.errors).to.equal(undefined);
      const names = (members.body.data?.members as { nodes: { name: string }[] }).nodes.map(
        (m) => m.name,
      );
      expect(names).to.include("Regulator");

      const refused = await post(
        `${base}/graphql`,
        `{ subject(subjectId: "0x${"12".repeat(32)}") { id } }`,
        await token("lenderA", c.ids.lenderA),
      );
      expect(refused.body.errors?.[0].extensions?.code).to.equal("CONSENT_REQUIRED");

      // a provider's signed attestation, relayed with the node key, indexed, read by the regulator
      const request = {
        schema: c.schemas.taxPayment,
        subject: h("e2e subject"),
        dataHash: h("e2e record"),
        observedAt: now - 60n,
        expiresAt: 0n,
        severity: 0,
      };
      const nonce = 7n;
      const deadline = now + 3600n;
      const signature = await signAttest(
        new Wallet(TEST_KEYS.tax),
        registryDomain(c.chainId, c.addresses.registry),
        request,
        nonce,
        deadline,
      );
      const input = `{ request: { schema: "${request.schema}", subject: "${request.subject}",
        dataHash: "${request.dataHash}", observedAt: "${request.observedAt}", expiresAt: "0",
        severity: 0 }, signer: "${new Wallet(TEST_KEYS.tax).address}", nonce: "${nonce}",
        deadline: "${deadline}", signature: "${signature}" }`;
      const submitted = await post(
        `${base}/graphql`,
        `mutation { submitAttestation(input: ${input}) { uid txHash } }`,
        await token("tax", c.ids.tax),
      );
      expect(submitted.body.errors, JSON.stringify(submitted.body)).to.equal(undefined);
      const { uid } = submitted.body.data?.submitAttestation as { uid: string };
      const regulator = await token("regulator", c.ids.regulator);
      let status: string | undefined;
      for (let i = 0; i < 100 && status === undefined; i++) {
        const read = await post(
          `${base}/graphql`,
          `{ attestation(uid: "${uid}") { status } }`,
          regulator,
        );
        status = (read.body.data?.attestation as { status: string } | null)?.status;
        if (status === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).to.equal("ACTIVE");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, stderr).to.equal(0);
  });
});
