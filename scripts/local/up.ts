/**
 * `make up`: the local consortium in one command, no Docker.
 *
 *   node --import tsx scripts/local/up.ts [--data .data/local] [--port 4000] [--chain-port 8545]
 *                                        [--enterprises 2000] [--fresh]
 *
 * First run: starts the durable local chain (scripts/local/chain.ts), deploys the contracts,
 * founds the demo consortium and grows it by governance (scripts/local/consortium.ts), starts the
 * node (indexer + scoring + gateway, gateway/main.ts) and loads the demo data (a few thousand
 * enterprises, scripts/local/demoData.ts + loadDemo.ts). Later runs restore the chain from its
 * journal and resume the node from its store: seconds. Prints the GraphQL URL, a lender and a
 * regulator token, and example queries. Ctrl-C stops the node, then the chain.
 *
 * State: <data>/chain (journal), <data>/node (LevelDB), <data>/local.json (addresses, keys).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { JsonRpcProvider, Network, NonceManager, Wallet } from "ethers";

import type { CategoryName, Hex } from "../../core/index.js";
import { defaultScorecardModel, memberId } from "../../core/index.js";
import { createLoginToken } from "../../gateway/auth/index.js";
import type { LedgerWriter } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import type { DemoMemberName } from "./consortium.js";
import { DEMO_MEMBERS, demoKeys, foundDemoConsortium } from "./consortium.js";
import { generateDemo } from "./demoData.js";
import { DEMO_PURPOSE, loadDemo } from "./loadDemo.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

interface LocalState {
  chainId: string;
  addresses: { consortium: string; registry: string; forwarder: string };
  deployBlock: number;
  modelHash: Hex;
  schemas: Record<CategoryName, Hex>;
  consortiumKey: Hex;
  recordKey: Hex;
  loaded: boolean;
  consentSubjects: Hex[];
  firstUscc: string;
}

function say(message: string): void {
  console.log(`credtrail: ${message}`);
}

function fail(message: string): never {
  console.error(`credtrail up: ${message}`);
  process.exit(1);
}

/** Starts a child process; resolves once a stdout line matches `ready`. */
function start(
  name: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  ready: (line: string) => boolean,
  timeoutMs: number,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let tail = "";
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled) {
        settled = true;
        child.kill("SIGTERM");
        reject(new Error(`${name} did not start within ${timeoutMs / 1000} s (see ${logFile})`));
      }
    }, timeoutMs);
    const append = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      writeFileSync(logFile, text, { flag: "a" });
      tail = (tail + text).slice(-4_000);
      for (const line of text.split("\n")) {
        if (!settled && ready(line)) {
          settled = true;
          clearTimeout(timer);
          resolve(child);
        }
      }
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    child.once("exit", (code) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready:\n${tail}`));
      }
    });
  });
}

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const by = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > by)
      throw new Error(`the node at ${base} was not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      port: { type: "string" },
      "chain-port": { type: "string" },
      enterprises: { type: "string" },
      fresh: { type: "boolean" },
      "exit-when-ready": { type: "boolean" },
      "anchor-interval": { type: "string" },
      // tests under coverage: instrumented contracts exceed the 24 KiB limit
      "unlimited-contract-size": { type: "boolean" },
    },
  });
  const data = path.resolve(ROOT, values.data ?? ".data/local");
  const port = Number(values.port ?? "4000");
  const chainPort = Number(values["chain-port"] ?? "8545");
  const enterprises = Number(values.enterprises ?? "2000");
  for (const [name, n] of [
    ["port", port],
    ["chain-port", chainPort],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0 || n > 65_535) fail(`--${name} must be a TCP port`);
  }
  if (!Number.isInteger(enterprises) || enterprises < 1 || enterprises > 1_000_000) {
    fail("--enterprises must be an integer from 1 to 1,000,000");
  }
  if (values.fresh === true) rmSync(data, { recursive: true, force: true });
  mkdirSync(path.join(data, "logs"), { recursive: true });
  const stateFile = path.join(data, "local.json");
  let state: LocalState | undefined = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, "utf8")) as LocalState)
    : undefined;
  const save = () => {
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  };

  const children: ChildProcess[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping the node, then the chain …");
    for (const child of [...children].reverse()) await stop(child);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    const began = Date.now();
    const rpc = `http://127.0.0.1:${chainPort}`;
    say(`starting the local chain on ${rpc} (journal in ${path.join(data, "chain")})`);
    children.push(
      await start(
        "the chain",
        [
          "scripts/local/chain.ts",
          "--dir",
          path.join(data, "chain"),
          "--port",
          String(chainPort),
          ...(values["unlimited-contract-size"] === true ? ["--unlimited-contract-size"] : []),
        ],
        {},
        path.join(data, "logs", "chain.log"),
        (line) => line.startsWith("listening"),
        120_000,
      ),
    );
    const keys = demoKeys();
    const probe = new JsonRpcProvider(rpc);
    const chainId = (await probe.getNetwork()).chainId;
    probe.destroy();
    const now = BigInt(Math.floor(Date.now() / 1000));

    if (state === undefined) {
      const network = Network.from(chainId);
      const provider = new JsonRpcProvider(rpc, network, {
        staticNetwork: network,
        cacheTimeout: -1,
      });
      const deployer = new NonceManager(new Wallet(keys.deployer, provider));
      const deployed = await foundDemoConsortium({
        deployer,
        rpc,
        model: defaultScorecardModel,
        modelUri: "credtrail://models/credtrail.sme/v1",
        now,
        log: say,
      });
      provider.destroy();
      state = {
        chainId: chainId.toString(),
        addresses: deployed.addresses,
        deployBlock: deployed.deployBlock,
        modelHash: deployed.modelHash,
        schemas: deployed.schemas,
        consortiumKey: `0x${randomBytes(32).toString("hex")}`,
        recordKey: `0x${randomBytes(32).toString("hex")}`,
        loaded: false,
        consentSubjects: [],
        firstUscc: "",
      };
      save();
    }
    const s = state;

    const modelFile = path.join(data, "model.json");
    writeFileSync(modelFile, `${JSON.stringify(defaultScorecardModel, null, 2)}\n`);
    const base = `http://127.0.0.1:${port}`;
    const audience = `${base}/graphql`;
    say(`starting the node (indexer + scoring + gateway) on ${base}`);
    children.push(
      await start(
        "the node",
        [
          "gateway/main.ts",
          "--db",
          path.join(data, "node"),
          "--rpc",
          rpc,
          "--consortium",
          s.addresses.consortium,
          "--registry",
          s.addresses.registry,
          "--from-block",
          String(s.deployBlock - 1),
          "--port",
          String(port),
          "--audience",
          audience,
          "--model",
          modelFile,
          ...(values["anchor-interval"] === undefined
            ? []
            : ["--anchor-interval", values["anchor-interval"]]),
          "--dev",
        ],
        {
          CREDTRAIL_NODE_KEY: keys.operator,
          CREDTRAIL_SCORER_KEY: keys.scorer,
          CREDTRAIL_CONSORTIUM_KEY: s.consortiumKey,
          CREDTRAIL_RECORD_KEY: s.recordKey,
        },
        path.join(data, "logs", "node.log"),
        (line) => line.includes("gateway listening"),
        180_000,
      ),
    );
    await waitReady(base, 180_000);

    if (!s.loaded) {
      say(`generating ${enterprises} demo enterprises and their records …`);
      const demo = generateDemo({
        seed: "credtrail-demo",
        count: enterprises,
        consortiumKey: s.consortiumKey,
        asOf: Number(now),
      });
      const ledger = await createEvmLedger({ rpcUrl: rpc, addresses: s.addresses });
      const writers: Partial<Record<DemoMemberName, LedgerWriter>> = {};
      try {
        const { consentSubjects } = await loadDemo({
          data: demo,
          schemas: s.schemas,
          writer: (name) => (writers[name] ??= ledger.writer(keys[name])),
          base,
          audience,
          chainId,
          now,
          log: say,
        });
        s.consentSubjects = consentSubjects;
        s.firstUscc = demo.enterprises[0].uscc;
      } finally {
        ledger.close();
      }
      s.loaded = true;
      save();
    }

    const token = (name: DemoMemberName) =>
      createLoginToken(new Wallet(keys[name]), {
        chainId,
        member: memberId(DEMO_MEMBERS[name].name),
        audience,
        lifetimeSeconds: 3_600,
        now: BigInt(Math.floor(Date.now() / 1000)),
      });
    const lender = await token("bankA");
    const regulator = await token("regulator");
    const q1 = `{ subject(uscc: "${s.firstUscc}", purpose: "${DEMO_PURPOSE}") { id score { value grade pd reasons verified provisionalSince proof { root blockNumber } } attestations(first: 5) { nodes { uid category status observedAt } } } }`;
    const q2 = `{ disputes(first: 5) { nodes { uid status deadline } } repairs(first: 5) { nodes { uid status } } }`;
    const q3 = `{ queryAudit(first: 5) { nodes { member subject purpose at } } _meta { headBlock indexedBlock lagSeconds } }`;
    console.log(`
credtrail local consortium is up (${((Date.now() - began) / 1000).toFixed(1)} s). Ctrl-C stops it; state in ${data}.

  GraphQL      ${audience}   (GraphiQL in a browser; POST JSON with curl)
  chain RPC    ${rpc}
  logs         ${path.join(data, "logs")}

Lender token (Bank A, consents for the first 25 enterprises; valid 1 hour, a restart prints new ones):
  ${lender}

Regulator token (1 hour):
  ${regulator}

Examples:
  # 1. a lender reads an enterprise's score and records (consent in force)
  curl -s ${audience} -H 'content-type: application/json' -H 'authorization: Bearer ${lender.slice(0, 12)}…' \\
    -d '{"query":"${q1.replace(/"/g, '\\"')}"}'
  # 2. a regulator lists disputes and repairs (Bearer <regulator token>)
  ${q2}
  # 3. a regulator reads who queried what, and the node's lag
  ${q3}
`);
    writeFileSync(
      path.join(data, "tokens.json"),
      `${JSON.stringify({ graphql: audience, lender, regulator, examples: [q1, q2, q3] }, null, 2)}\n`,
    );
    if (values["exit-when-ready"] === true) await shutdown(0);
    // run until Ctrl-C; a child that dies takes the stack down
    for (const child of children) {
      child.once("exit", (code) => {
        if (!stopping) {
          console.error(`credtrail up: a process exited (${code}); see ${path.join(data, "logs")}`);
          void shutdown(1);
        }
      });
    }
  } catch (error) {
    console.error(`credtrail up: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

await main();
