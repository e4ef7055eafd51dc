/** What the indexer logs through; pass your own (pino, console, …). */
export interface IndexerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: IndexerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A logger that writes one JSON line per message to stderr. */
export function jsonLogger(minLevel: "debug" | "info" | "warn" | "error" = "info"): IndexerLogger {
  const levels = ["debug", "info", "warn", "error"] as const;
  const min = levels.indexOf(minLevel);
  const write =
    (level: (typeof levels)[number]) => (message: string, fields?: Record<string, unknown>) => {
      if (levels.indexOf(level) < min) return;
      const line = JSON.stringify({ level, message, ...fields }, (_k, v: unknown) =>
        typeof v === "bigint" ? v.toString() : v,
      );
      process.stderr.write(`${line}\n`);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
