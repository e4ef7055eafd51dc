/**
 * `indexer/main.ts` as a child process, for crash tests: its JSON log lines parsed as they arrive,
 * waits on them, and kill (SIGKILL included) of exactly that process. Plus `inspectStore`, which
 * opens a database the process left behind (once it has exited: LevelDB allows one process per
 * database) and reads its checkpoint and digest.
 */
import { spawn } from "node:child_process";
import path from "node:path";

import type { Hex } from "../../core/index.js";
import { createIndexer } from "../../indexer/index.js";
import type { StoredCheckpoint } from "../../indexer/index.js";
import type { LedgerStream } from "../../ledger/index.js";
import { REPO_ROOT } from "./hardhatNode.js";

const MAIN = path.join(REPO_ROOT, "indexer", "main.ts");

/** One line main.ts logs (jsonLogger): level, message and the message's fields. */
export interface IndexerLogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

export interface IndexerProcessOptions {
  db: string;
  rpc: string;
  addresses: { consortium: string; registry: string };
  fromBlock?: number;
  confirmations?: number;
  finalityDepth?: number;
  /** Progress lines every this many ms (default 50). */
  progressMs?: number;
  /** Events per LevelDB batch while backfilling (the indexer's default when absent). */
  maxBatchEvents?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface IndexerProcess {
  readonly pid: number;
  /** Every line logged so far. */
  readonly lines: readonly IndexerLogLine[];
  /** Resolves with the first line (past or future) that matches; rejects if the process exits first. */
  waitFor(match: (line: IndexerLogLine) => boolean, timeoutMs?: number): Promise<IndexerLogLine>;
  /** The newest progress line, if any. */
  lastProgress(): IndexerLogLine | undefined;
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (if still running) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
  /** The tail of stderr, for failure messages. */
  tail(): string;
}

export function spawnIndexer(options: IndexerProcessOptions): IndexerProcess {
  const args = [
    "--import",
    "tsx",
    MAIN,
    "--db",
    options.db,
    "--rpc",
    options.rpc,
    "--consortium",
    options.addresses.consortium,
    "--registry",
    options.addresses.registry,
    "--progress-ms",
    String(options.progressMs ?? 50),
  ];
  if (options.fromBlock !== undefined) args.push("--from-block", String(options.fromBlock));
  if (options.confirmations !== undefined)
    args.push("--confirmations", String(options.confirmations));
  if (options.finalityDepth !== undefined)
    args.push("--finality-depth", String(options.finalityDepth));
  if (options.maxBatchEvents !== undefined)
    args.push("--max-batch-events", String(options.maxBatchEvents));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not start indexer/main.ts");
  const pid = child.pid;

  const lines: IndexerLogLine[] = [];
  const waiters = new Set<() => void>();
  let pending = "";
  let tail = "";
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    tail = (tail + text).slice(-4_000);
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const part of parts) {
      if (part.trim() === "") continue;
      try {
        lines.push(JSON.parse(part) as IndexerLogLine);
      } catch {
        lines.push({ level: "raw", message: part });
      }
    }
    for (const wake of [...waiters]) wake();
  });

  // never outlive the test process
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      exit = { code, signal };
      for (const wake of [...waiters]) wake();
      resolve(exit);
    });
  });

  return {
    pid,
    lines,
    waitFor(match, timeoutMs = 120_000) {
      return new Promise<IndexerLogLine>((resolve, reject) => {
        let seen = 0;
        const check = (): void => {
          for (; seen < lines.length; seen++) {
            if (match(lines[seen])) {
              done();
              resolve(lines[seen]);
              return;
            }
          }
          if (exit !== undefined) {
            done();
            reject(
              new Error(
                `indexer/main.ts exited (code ${exit.code}, signal ${exit.signal}) before the awaited line:\n${tail}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no awaited line from indexer/main.ts within ${timeoutMs} ms:\n${tail}`),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    lastProgress() {
      for (let i = lines.length - 1; i >= 0; i--)
        if (lines[i].message === "indexer: progress") return lines[i];
      return undefined;
    },
    exited,
    async kill(signal) {
      if (exit === undefined) process.kill(pid, signal);
      return exited;
    },
    tail: () => tail,
  };
}

/** A ledger for opening a store without following any chain. */
const OFFLINE: LedgerStream = {
  head: () => Promise.reject(new Error("offline")),
  stream: () => ({
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.resolve({ done: true, value: undefined }),
    }),
  }),
};

/** The checkpoint and digest of a store no process has open. */
export async function inspectStore(
  dir: string,
): Promise<{ checkpoint: StoredCheckpoint; digest: Hex }> {
  const indexer = await createIndexer({ db: dir, ledger: OFFLINE });
  try {
    return { checkpoint: await indexer.checkpoint(), digest: await indexer.digest() };
  } finally {
    await indexer.close();
  }
}
