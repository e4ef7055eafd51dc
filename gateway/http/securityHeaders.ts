/** Security headers (helmet). GraphiQL (development only) loads its assets from a CDN: no CSP then. */
import type { RequestHandler } from "express";
import helmet from "helmet";

export function securityHeaders(options: { production: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: options.production ? undefined : false,
    crossOriginEmbedderPolicy: options.production,
  });
}

/**
 * The headers `securityHeaders` sets, as `[name, value]` in its order, for responses written
 * without express (the fast path, `fastPath.ts`). Helmet's headers depend only on its options (no
 * directive here reads the request), so running it once on a recording response gives them all.
 */
export function securityHeaderList(options: { production: boolean }): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.set(name, String(value));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader(name: string) {
      return headers.get(name);
    },
  };
  const handler = securityHeaders(options) as unknown as (
    req: object,
    res: typeof recorder,
    next: (error?: unknown) => void,
  ) => void;
  let done = false;
  handler({}, recorder, (error?: unknown) => {
    if (error !== undefined && error !== null) throw new Error("helmet failed", { cause: error });
    done = true;
  });
  if (!done) throw new Error("helmet did not finish synchronously");
  return [...headers];
}
