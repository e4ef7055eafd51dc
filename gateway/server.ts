/**
 * The gateway: express + graphql-yoga, composed as an ordered list of express middleware and yoga
 * plugins. `createGateway(deps)` builds it; `start()` listens, `stop()` closes.
 *
 *   node:http: fast path (fastPath.ts: POST /graphql, JSON, a document yoga already validated) → express
 *   express: security headers (helmet) → /healthz, /readyz, /metrics → body limit → /graphql (yoga)
 *   yoga:    rate limit per IP → auth → rate limit per member → armor limits → CSRF prevention → error codes → logging → metrics → document cache
 */
import type { Server } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import express from "express";
import { createSchema, createYoga } from "graphql-yoga";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

import type { ReadApi, StoredCheckpoint } from "../indexer/index.js";
import type { BlockRef } from "../ledger/types.js";
import { createRecordRead } from "./access.js";
import type { GatewayConfig } from "./config.js";
import { DEFAULT_QUERY_LIMITS } from "./config.js";
import type { GatewayContext, ServerContext } from "./context.js";
import { bodyLimit } from "./http/bodyLimit.js";
import { healthz, readyz } from "./http/health.js";
import { securityHeaderList, securityHeaders } from "./http/securityHeaders.js";
import type { FastPath } from "./fastPath.js";
import { createDocumentCache, createFastPath, useDocumentCache } from "./fastPath.js";
import { createGatewayMetrics } from "./metrics.js";
import { useArmor } from "./plugins/use-armor.js";
import { useAuth } from "./plugins/use-auth.js";
import { useCsrfPrevention } from "./plugins/use-csrf-prevention.js";
import { useDisableIntrospection } from "./plugins/use-disable-introspection.js";
import { createMaskError, useErrorMasking } from "./plugins/use-error-masking.js";
import { useLogging } from "./plugins/use-logging.js";
import { useMetrics } from "./plugins/use-metrics.js";
import { createRateLimiter, useRateLimit } from "./plugins/use-rate-limit.js";
import { createRequestStates } from "./requestState.js";
import type { BatchUploader } from "./http/batchUpload.js";
import { BATCH_UPLOAD_PATH, batchUpload } from "./http/batchUpload.js";
import type { RecordUploadOptions } from "./http/recordUpload.js";
import { RECORD_UPLOAD_PATH, recordUpload } from "./http/recordUpload.js";
import type { GatewayWrites, ScoreReads } from "./resolvers/index.js";
import { createResolvers } from "./resolvers/index.js";
import { typeDefs } from "./schema/index.js";
import type { Authenticator, QueryAuditLog } from "./types.js";

/** The part of the indexer's status the gateway reads (`_meta`, /readyz, the lag gauge). */
export interface GatewayIndexerStatus {
  checkpoint: StoredCheckpoint;
  head: BlockRef | null;
  headError: string | null;
  secondsBehind: number;
}

/** The indexer as the gateway sees it: its read API and its status. */
export interface GatewayIndexer extends ReadApi {
  status(): Promise<GatewayIndexerStatus>;
}

export interface CreateGatewayDeps {
  indexer: GatewayIndexer;
  authenticator: Authenticator;
  auditLog: QueryAuditLog;
  logger: Logger;
  metrics: Registry;
  config: GatewayConfig;
  /** The node's writer for relayed mutations (absent: mutations refused with WRITES_DISABLED). */
  writes?: GatewayWrites;
  /** Milliseconds since the epoch (default Date.now): audit times, expiry and overdue checks. */
  clock?: () => number;
  /** Accepts providers' batch files (the indexer's uploadBatchLeaves); absent: no upload route. */
  batchUploads?: BatchUploader;
  /** The node's record-contents store for `POST /records`; absent: no such route. */
  recordUploads?: Pick<RecordUploadOptions, "records" | "onStored">;
  /** The node's scoring service (Subject.score, scoreHistory, scoreChanged). */
  scores?: ScoreReads;
}

export interface Gateway {
  app: express.Express;
  /** Listens on config.host:config.port; resolves with the /graphql URL. */
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
}

export const GRAPHQL_PATH = "/graphql";

/** Per IP address (before authentication), callers get this many times a member's budget. */
export const IP_BUDGET_FACTOR = 10;

export function createGateway(deps: CreateGatewayDeps): Gateway {
  const { indexer, authenticator, auditLog, logger, config } = deps;
  const clock = deps.clock ?? Date.now;
  const limits = { ...DEFAULT_QUERY_LIMITS, ...config.limits };
  const status = (): Promise<GatewayIndexerStatus> => indexer.status();
  const metrics = createGatewayMetrics({
    registry: deps.metrics,
    lagSeconds: async () => (await status()).secondsBehind,
  });
  const states = createRequestStates();
  // shared by the yoga plugins and the fast path: one budget per IP and per member
  const ipLimiter = createRateLimiter({
    perMinute: config.rateLimit.perMinute * IP_BUDGET_FACTOR,
  });
  const memberLimiter = createRateLimiter({ perMinute: config.rateLimit.perMinute });
  const maskError = createMaskError(logger);
  const documents = createDocumentCache(1000, config.maxBodyBytes);
  const schema = createSchema<GatewayContext & ServerContext>({
    typeDefs,
    resolvers: createResolvers({
      reads: indexer,
      status,
      auditLog,
      recordRead: createRecordRead(auditLog, clock),
      consortiumKey: config.consortiumKey,
      writes: deps.writes,
      clock,
      ...(deps.scores === undefined ? {} : { scores: deps.scores }),
    }),
  });

  const yoga = createYoga<ServerContext, GatewayContext>({
    graphqlEndpoint: GRAPHQL_PATH,
    schema,
    graphiql: !config.production,
    landingPage: false,
    maskedErrors: { maskError },
    logging: false,
    plugins: [
      useRateLimit({
        by: "ip",
        perMinute: ipLimiter.perMinute,
        limiter: ipLimiter,
        states,
        metrics,
      }),
      useAuth({ authenticator, states, metrics, logger }),
      useRateLimit({
        by: "caller",
        perMinute: memberLimiter.perMinute,
        limiter: memberLimiter,
        states,
        metrics,
      }),
      useArmor(limits),
      useCsrfPrevention(),
      useErrorMasking(),
      useLogging({ logger, states }),
      useMetrics({ metrics, states }),
      ...(config.production ? [useDisableIntrospection()] : []),
      // last: documents that passed every validation rule above
      useDocumentCache(documents),
    ],
  });
  const fastPath: FastPath | null =
    config.fastPath === false
      ? null
      : createFastPath({
          path: GRAPHQL_PATH,
          schema,
          documents,
          maxBodyBytes: config.maxBodyBytes,
          authenticator,
          ipLimiter,
          memberLimiter,
          metrics,
          logger,
          maskError,
          securityHeaders: securityHeaderList({ production: config.production }),
          yoga,
        });

  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders({ production: config.production }));
  app.get("/healthz", healthz());
  app.get(
    "/readyz",
    readyz({
      status,
      maxLagSeconds: config.maxLagSeconds,
      logger,
    }),
  );
  app.get("/metrics", async (_req, res) => {
    res.set("content-type", deps.metrics.contentType);
    res.send(await deps.metrics.metrics());
  });
  if (deps.batchUploads !== undefined) {
    app.post(
      BATCH_UPLOAD_PATH,
      batchUpload({ authenticator, reads: indexer, upload: deps.batchUploads, logger }),
    );
  }
  if (deps.recordUploads !== undefined) {
    app.post(
      RECORD_UPLOAD_PATH,
      recordUpload({ authenticator, reads: indexer, logger, ...deps.recordUploads }),
    );
  }
  app.use(
    GRAPHQL_PATH,
    ...bodyLimit({
      maxBytes: config.maxBodyBytes,
      onReject: (code) => {
        metrics.errors.inc({ code });
      },
    }),
  );
  app.use(GRAPHQL_PATH, (req, res) => {
    yoga.requestListener(req, res);
  });

  let server: Server | undefined;
  return {
    app,
    start() {
      return new Promise((resolve, reject) => {
        const f = fastPath;
        const listening = createServer(
          f === null
            ? app
            : (req, res) => {
                f.handle(req, res, () => {
                  app(req, res);
                });
              },
        );
        listening.once("error", reject);
        listening.listen(config.port, config.host, () => {
          listening.removeListener("error", reject);
          server = listening;
          const { port } = listening.address() as AddressInfo;
          const url = `http://${config.host}:${port}${GRAPHQL_PATH}`;
          logger.info({ url, production: config.production }, "gateway listening");
          resolve({ url });
        });
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      s.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        s.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      });
    },
  };
}
