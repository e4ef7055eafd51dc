/**
 * A credtrail node (gateway/main.ts: indexer + query audit log + gateway over one LevelDB) as a
 * child process for the gateway benchmark, with its memory read from /proc.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import { freePort, REPO_ROOT } from "../../test/helpers/hardhatNode.js";
import { mb } from "./measure.js";

export interface GatewayProcessOptions {
  db: string;
  rpcUrl: string;
  consortium: string;
  registry: string;
  fromBlock: number;
  /** Member budget per minute (the IP budget is 10 times it). */
  rateLimitPerMinute: number;
  /** CREDTRAIL_NODE_KEY: anchors the audit log on the ledger every minute. */
  nodeKey?: string;
  /** CREDTRAIL_SCORER_KEY: anchors score batches every `anchorIntervalSeconds`. */
  scorerKey?: string;
  /** --anchor-interval (seconds; the node's default 60). */
  anchorIntervalSeconds?: number;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Extra flags for node (e.g. --cpu-prof --cpu-prof-dir DIR). */
  nodeFlags?: string[];
  /**
   * Open the node's inspector on a loopback port, for {@link GatewayProcess.liveHeap} (the bench
   * asks it for a full garbage collection; nothing else uses it).
   */
  inspect?: boolean;
}

export interface GatewayProcess {
  url: string;
  base: string;
  /** The token audience the node checks (its /graphql URL). */
  audience: string;
  pid: number;
  /** Resident set size now, bytes. */
  rss(): number;
  /** The kernel's high-water mark of the resident set, bytes. */
  peakRss(): number;
  /**
   * The node's event-loop delay since the previous call (its /metrics: prom-client's default
   * metrics reset the delay histogram at each scrape), milliseconds.
   */
  eventLoopDelay(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number }>;
  /** The node's V8 heap in use and its external memory (its /metrics), MB. */
  heap(): Promise<{ usedMb: number; totalMb: number; externalMb: number }>;
  /**
   * The node's V8 heap that is alive: a full garbage collection first (the inspector's
   * HeapProfiler.collectGarbage, which stops the node for as long as it takes), then
   * Runtime.getHeapUsage; MB. Only with `inspect`.
   */
  liveHeap(): Promise<number>;
  /** SIGTERM (the node closes the gateway, the audit log, the indexer); resolves with the exit code. */
  stop(): Promise<number | null>;
}

function statusField(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/**
 * Calls methods of the node's inspector (Chrome DevTools Protocol over its WebSocket) in order;
 * resolves with their results.
 */
async function inspectorCalls(port: number, methods: readonly string[]): Promise<unknown[]> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  const replies = new Map<number, (reply: { result?: unknown; error?: unknown }) => void>();
  socket.addEventListener("message", (event: MessageEvent<string>) => {
    const reply = JSON.parse(event.data) as { id?: number; result?: unknown; error?: unknown };
    if (reply.id !== undefined) replies.get(reply.id)?.(reply);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => {
      resolve();
    });
    socket.addEventListener("error", () => {
      reject(new Error(`the node's inspector on port ${port} did not answer`));
    });
  });
  try {
    const results: unknown[] = [];
    for (const [id, method] of methods.entries()) {
      const reply = await new Promise<{ result?: unknown; error?: unknown }>((resolve) => {
        replies.set(id, resolve);
        socket.send(JSON.stringify({ id, method }));
      });
      if (reply.error !== undefined)
        throw new Error(`inspector ${method}: ${JSON.stringify(reply.error)}`);
      results.push(reply.result);
    }
    return results;
  } finally {
    socket.close();
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      resolve(code);
    });
  });
}

/** Starts the node and resolves once /readyz answers 200 (the indexer caught up). */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const inspectPort = options.inspect === true ? await freePort() : undefined;
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/graphql`;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...(inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${inspectPort}`]),
      "--import",
      "tsx",
      path.join(REPO_ROOT, "gateway", "main.ts"),
      "--db",
      options.db,
      "--rpc",
      options.rpcUrl,
      "--consortium",
      options.consortium,
      "--registry",
      options.registry,
      "--from-block",
      String(options.fromBlock),
      "--port",
      String(port),
      "--rate-limit",
      String(options.rateLimitPerMinute),
      "--log-level",
      options.logLevel ?? "info",
      ...(options.anchorIntervalSeconds === undefined
        ? []
        : ["--anchor-interval", String(options.anchorIntervalSeconds)]),
    ],
    {
      cwd: REPO_ROOT,
      // the request log (pino, stdout) is written as in production, to /dev/null
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        ...(options.nodeKey === undefined ? {} : { CREDTRAIL_NODE_KEY: options.nodeKey }),
        ...(options.scorerKey === undefined ? {} : { CREDTRAIL_SCORER_KEY: options.scorerKey }),
      },
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-8_000);
  });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const pid = child.pid;
  if (pid === undefined) throw new Error("gateway/main.ts did not start");

  const readyBy = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`gateway/main.ts exited during startup:\n${stderr}`);
    if (Date.now() > readyBy) {
      child.kill("SIGKILL");
      throw new Error(`gateway/main.ts not ready after 180 s:\n${stderr}`);
    }
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  let stopping: Promise<number | null> | undefined;
  return {
    url,
    base,
    audience: url,
    pid,
    rss: () => statusField(pid, "VmRSS"),
    peakRss: () => statusField(pid, "VmHWM"),
    async heap() {
      const text = await (await fetch(`${base}/metrics`)).text();
      const megabytes = (name: string): number => {
        const match = new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text);
        return match === null ? Number.NaN : mb(Number(match[1]));
      };
      return {
        usedMb: megabytes("nodejs_heap_size_used_bytes"),
        totalMb: megabytes("nodejs_heap_size_total_bytes"),
        externalMb: megabytes("nodejs_external_memory_bytes"),
      };
    },
    async liveHeap() {
      if (inspectPort === undefined) throw new Error("liveHeap needs the inspect option");
      const [, usage] = await inspectorCalls(inspectPort, [
        "HeapProfiler.collectGarbage",
        "Runtime.getHeapUsage",
      ]);
      return mb((usage as { usedSize: number }).usedSize);
    },
    async eventLoopDelay() {
      const text = await (await fetch(`${base}/metrics`)).text();
      const ms = (name: string): number => {
        const match = new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text);
        return match === null ? Number.NaN : Math.round(Number(match[1]) * 10_000) / 10;
      };
      return {
        p50Ms: ms("nodejs_eventloop_lag_p50_seconds"),
        p99Ms: ms("nodejs_eventloop_lag_p99_seconds"),
        maxMs: ms("nodejs_eventloop_lag_max_seconds"),
      };
    },
    stop() {
      stopping ??= (async () => {
        process.removeListener("exit", killOnExit);
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        const code = await exited(child);
        clearTimeout(killer);
        if (code !== 0) process.stderr.write(`[bench gateway] node stderr:\n${stderr}\n`);
        return code;
      })();
      return stopping;
    },
  };
}
