/** /healthz (the process answers) and /readyz (the indexer is within `maxLagSeconds` of the head). */
import type { RequestHandler } from "express";
import type { Logger } from "pino";

export interface LagStatus {
  /** Seconds the indexed block is behind the ledger head. */
  secondsBehind: number;
  /** Why the head could not be read, if it could not. */
  headError: string | null;
}

export function healthz(): RequestHandler {
  return (_req, res) => {
    res.json({ status: "ok" });
  };
}

export function readyz(options: {
  status: () => Promise<LagStatus>;
  maxLagSeconds: number;
  logger: Logger;
}): RequestHandler {
  const { status, maxLagSeconds, logger } = options;
  return async (_req, res) => {
    try {
      const s = await status();
      const ready = s.headError === null && s.secondsBehind <= maxLagSeconds;
      res.status(ready ? 200 : 503).json({
        status: ready ? "ready" : "lagging",
        lagSeconds: s.secondsBehind,
        maxLagSeconds,
        headError: s.headError,
      });
    } catch (error) {
      logger.error({ err: error }, "gateway: readiness check failed");
      res.status(503).json({ status: "unavailable" });
    }
  };
}
