/** Security headers (helmet). GraphiQL (development only) loads its assets from a CDN: no CSP then. */
import type { RequestHandler } from "express";
import helmet from "helmet";

export function securityHeaders(options: { production: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: options.production ? undefined : false,
    crossOriginEmbedderPolicy: options.production,
  });
}
