/**
 * A real Hardhat node for tests that need a JSON-RPC endpoint outside the test process (the EVM
 * ledger adapter, the indexer, end-to-end tests): Hardhat's simulated network behind its JSON-RPC
 * server (what `hardhat node` runs, see hardhatNodeServer.ts) in a child process on a free port;
 * `stop()` ends exactly that process.
 *
 * The node's accounts are Hardhat's defaults (mnemonic "test test … junk"): {@link HARDHAT_KEYS}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { HDNodeWallet, Mnemonic } from "ethers";

/** The repository root (two levels above test/helpers/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Private keys of Hardhat's 20 default accounts, index for index. */
export const HARDHAT_KEYS: readonly string[] = Array.from(
  { length: 20 },
  (_, i) =>
    HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), `m/44'/60'/0'/0/${i}`)
      .privateKey,
);

export interface HardhatNode {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The child's process id (for tests that want to be sure they end only their own process). */
  pid: number;
  /** Ends the node (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface StartHardhatNodeOptions {
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Hardhat's per-request console logging, as `hardhat node` has it (off by default: it slows the node down). */
  logging?: boolean;
  /** How long to wait for the node to answer JSON-RPC (default 60 s: startup is slow on a busy machine). */
  startTimeoutMs?: number;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** One JSON-RPC call with plain fetch; throws on a JSON-RPC error. */
export async function rpc<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error !== undefined)
    throw new Error(`${method}: ${body.error.message} (${body.error.code})`);
  return body.result as T;
}

const SERVER_SCRIPT = path.join(REPO_ROOT, "test", "helpers", "hardhatNodeServer.ts");

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
}

/** Starts `hardhat node` on 127.0.0.1 and resolves once it answers `eth_chainId`. */
export async function startHardhatNode(
  options: StartHardhatNodeOptions = {},
): Promise<HardhatNode> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  if (!existsSync(path.join(REPO_ROOT, "node_modules", "hardhat")))
    throw new Error("hardhat is not installed: run `make deps`");
  // Node ≥ 23.6 runs the TypeScript entry point directly (type stripping).
  const child = spawn(process.execPath, [SERVER_SCRIPT, String(port)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  // Drain the output (a full pipe would block the node); keep the tail for error messages.
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  // Never outlive the test process.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await waitForExit(child);
        clearTimeout(killer);
      }
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `hardhat node exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${tail}`,
      );
    }
    try {
      await rpc(url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`hardhat node did not answer on ${url} within the start timeout:\n${tail}`);
      }
      await sleep(100);
    }
  }
  if (options.logging === true) await rpc(url, "hardhat_setLoggingEnabled", [true]);
  if (child.pid === undefined) throw new Error("hardhat node has no pid");
  return { url, port, pid: child.pid, stop };
}
