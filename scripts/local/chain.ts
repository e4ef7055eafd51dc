/**
 * The local consortium's chain: Hardhat's simulated network (EDR) behind a JSON-RPC server, made
 * durable with a journal, because the simulated network itself keeps its state in memory only.
 *
 *   node --import tsx scripts/local/chain.ts --dir .data/local/chain [--port 8545]
 *                                            [--unlimited-contract-size]   (tests under coverage)
 *
 * Every call that changes the chain (a transaction, a mined block) is appended to
 * `<dir>/journal.ndjson` with the number, hash and timestamp of the block it made. On the next
 * start the journal is replayed into a fresh network with each block's timestamp set as before:
 * the simulated network is deterministic, so the blocks come back with the same hashes, and the
 * node's LevelDB store (checkpointed by block hash) stays valid. The replay checks every hash; a
 * mismatch stops with a clear error (delete the data directory to start over).
 *
 * Calls that would make the journal lie are refused: snapshots and reverts, time jumps without a
 * block (`evm_increaseTime` is fine: the next block's timestamp is what is journaled), state
 * overrides (hardhat_set*), and switching automining off.
 *
 * Prints "listening <port>" once ready. SIGINT/SIGTERM close it cleanly (the journal is flushed
 * after every write).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";

import { network } from "hardhat";

interface JournalEntry {
  method: string;
  params: unknown[];
  /** the block the call made */
  block: { number: string; hash: string; timestamp: string };
}

interface Block {
  number: string;
  hash: string;
  timestamp: string;
}

type Provider = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** Calls that change the chain and are journaled: each mines exactly one block (automine). */
const JOURNALED = new Set(["eth_sendRawTransaction", "eth_sendTransaction", "evm_mine"]);
/** Calls that would make the journal disagree with the chain. */
const REFUSED = new Set([
  "evm_snapshot",
  "evm_revert",
  "evm_setAutomine",
  "evm_setIntervalMining",
  "evm_setNextBlockTimestamp",
  "hardhat_reset",
  "hardhat_setBalance",
  "hardhat_setCode",
  "hardhat_setNonce",
  "hardhat_setStorageAt",
  "hardhat_impersonateAccount",
  "hardhat_mine",
  "hardhat_dropTransaction",
]);

function fail(message: string): never {
  console.error(`chain: ${message}`);
  process.exit(1);
}

async function latest(provider: Provider): Promise<Block> {
  return (await provider.request({
    method: "eth_getBlockByNumber",
    params: ["latest", false],
  })) as Block;
}

function readJournal(file: string): JournalEntry[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n");
  const entries: JournalEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // a torn last line (killed mid-write): its call's block is lost with it
      if (i < lines.length - 2) fail(`${file}: line ${i + 1} is not JSON; the journal is damaged`);
    }
  });
  return entries;
}

async function replay(provider: Provider, entries: JournalEntry[]): Promise<void> {
  const began = Date.now();
  for (const [i, entry] of entries.entries()) {
    await provider.request({
      method: "evm_setNextBlockTimestamp",
      params: [Number(BigInt(entry.block.timestamp))],
    });
    await provider.request({ method: entry.method, params: entry.params });
    const block = await latest(provider);
    if (block.hash !== entry.block.hash || block.number !== entry.block.number) {
      fail(
        `replaying the journal, call ${i + 1} (${entry.method}) made block ${BigInt(block.number)} ${block.hash}, ` +
          `not ${BigInt(entry.block.number)} ${entry.block.hash} as before; ` +
          "the chain cannot be restored (delete the data directory to start over)",
      );
    }
  }
  if (entries.length > 0) {
    console.log(
      `chain: restored ${entries.length} blocks from the journal in ${Date.now() - began} ms`,
    );
  }
}

function rpcError(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id: id ?? null, error: { code, message } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      // coverage-instrumented contracts (hardhat test --coverage) exceed the 24 KiB limit
      "unlimited-contract-size": { type: "boolean" },
    },
  });
  if (values.dir === undefined) fail("--dir is required");
  const port = Number(values.port ?? "8545");
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port ${values.port} is not a port`);
  mkdirSync(values.dir, { recursive: true });
  const journalFile = path.join(values.dir, "journal.ndjson");

  // the genesis block's time is fixed at the chain's first start: with it, the same calls make
  // the same blocks again
  const genesisFile = path.join(values.dir, "genesis.json");
  if (!existsSync(genesisFile)) {
    const initialDate = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    writeFileSync(genesisFile, `${JSON.stringify({ initialDate })}\n`);
  }
  const { initialDate } = JSON.parse(readFileSync(genesisFile, "utf8")) as { initialDate: string };
  const connection = await network.create({
    network: "node",
    override: {
      initialDate,
      allowUnlimitedContractSize: values["unlimited-contract-size"] === true,
    },
  });
  const provider = connection.provider as unknown as Provider;
  await replay(provider, readJournal(journalFile));
  // the simulated clock runs from the genesis date, or from the last replayed block (setting a
  // block's timestamp moves it): move it to now for the blocks to come
  const last = Number(BigInt((await latest(provider)).timestamp));
  const behind = Math.floor(Date.now() / 1000) - last - 1;
  if (behind > 0) await provider.request({ method: "evm_increaseTime", params: [behind] });

  // one call at a time: a journaled call and the block it made are recorded together
  let queue: Promise<unknown> = Promise.resolve();
  const call = async (method: string, params: unknown[]): Promise<unknown> => {
    if (REFUSED.has(method)) {
      throw Object.assign(new Error(`${method} is not available on the durable local chain`), {
        code: -32601,
      });
    }
    if (!JOURNALED.has(method)) return provider.request({ method, params });
    const run = queue.then(async () => {
      const before = await latest(provider);
      const result = await provider.request({ method, params });
      const block = await latest(provider);
      if (block.number !== before.number) {
        const entry: JournalEntry = { method, params, block };
        appendFileSync(journalFile, `${JSON.stringify(entry)}\n`);
      }
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const answer = async (request: unknown): Promise<unknown> => {
    const { id, method, params } = (request ?? {}) as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
    };
    if (typeof method !== "string") return rpcError(id, -32600, "invalid request");
    try {
      const result = await call(method, Array.isArray(params) ? params : []);
      return { jsonrpc: "2.0", id: id ?? null, result };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: id ?? null,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: typeof e.message === "string" ? e.message : String(error),
          ...(e.data === undefined ? {} : { data: e.data }),
        },
      };
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(rpcError(null, -32700, "parse error")));
          return;
        }
        const out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify(out, (_key, value: unknown) =>
            typeof value === "bigint" ? `0x${value.toString(16)}` : value,
          ),
        );
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, values.host ?? "127.0.0.1", resolve));
  const address = server.address();
  console.log(`listening ${typeof address === "object" && address !== null ? address.port : port}`);
  const stop = () => {
    server.close(() => {
      void queue.finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

await main();
