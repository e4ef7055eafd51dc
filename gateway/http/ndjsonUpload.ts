/**
 * What the NDJSON upload routes share (POST /batches/:root/leaves, POST /records): a provider
 * authenticated with its bearer login token, an `application/x-ndjson` body streamed and handed
 * over line by line (a bad line stops the upload without reading the rest), and refusals as
 * `{error: {code, message, details}}` with an HTTP status.
 */
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";

import {
  CredtrailError,
  ForbiddenError,
  NotFoundError,
  Role,
  UnauthorizedError,
  ValidationError,
} from "../../core/index.js";
import { hasAnyRole } from "../access.js";
import { GatewayErrorCode } from "../errors.js";
import type { Authenticator, Principal } from "../types.js";

/** A refusal with its HTTP status. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly error: CredtrailError,
  ) {
    super(error.message);
  }
}

export function refuse(status: number, error: CredtrailError): never {
  throw new UploadRefused(status, error);
}

function send(res: Response, status: number, error: CredtrailError): void {
  if (res.headersSent) return;
  // the rest of a refused body is not read: close the connection rather than drain it
  res.set("connection", "close");
  res.status(status).json({
    error: { code: error.code, message: error.message, details: error.details ?? {} },
  });
}

/**
 * Reads the body line by line; awaits `onLine` for each non-empty line (trimmed, 1-based line
 * numbers). A line longer than `maxLineBytes` is refused with 413 and `tooLongCode`.
 */
export async function readLines(
  req: Request,
  maxLineBytes: number,
  tooLongCode: string,
  onLine: (text: string, line: number) => void | Promise<void>,
): Promise<void> {
  let pending = "";
  let lineNumber = 0;
  const flush = async (text: string): Promise<void> => {
    lineNumber++;
    const trimmed = text.trim();
    if (trimmed !== "") await onLine(trimmed, lineNumber);
  };
  req.setEncoding("utf8");
  for await (const chunk of req as AsyncIterable<string>) {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      await flush(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
    if (pending.length > maxLineBytes) {
      refuse(
        413,
        new ValidationError(tooLongCode, `line ${lineNumber + 1} is too long`, {
          details: { line: lineNumber + 1, maxLineBytes },
        }),
      );
    }
  }
  await flush(pending);
}

/**
 * The caller, who must be a PROVIDER (401/403 otherwise), sending `application/x-ndjson` (415
 * otherwise, with `what` saying what each line holds).
 */
export async function uploadingProvider(
  authenticator: Authenticator,
  req: Request,
  what: string,
): Promise<Principal> {
  const principal = await authenticator.authenticate(req.headers.authorization);
  if (principal === null) {
    refuse(
      401,
      new UnauthorizedError("sign in with a member login token", {
        code: GatewayErrorCode.UNAUTHENTICATED,
      }),
    );
  }
  if (!hasAnyRole(principal, Role.PROVIDER)) {
    refuse(
      403,
      new ForbiddenError(`only providers upload ${what}`, { code: GatewayErrorCode.FORBIDDEN }),
    );
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-ndjson") {
    refuse(
      415,
      new ValidationError(
        GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `send ${what} as application/x-ndjson, one per line`,
        { details: { contentType: type } },
      ),
    );
  }
  return principal;
}

/**
 * An upload route: `handle` answers on success; refusals (UploadRefused, or a CredtrailError
 * mapped by `statusOf`) become error answers; anything else is logged and answered 500.
 */
export function uploadRoute(
  logger: Logger,
  name: string,
  handle: (req: Request, res: Response) => Promise<void>,
  statusOf: (error: CredtrailError) => number | undefined = () => undefined,
): RequestHandler {
  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (error) {
      if (error instanceof UploadRefused) {
        send(res, error.status, error.error);
      } else if (error instanceof CredtrailError) {
        send(res, statusOf(error) ?? errorStatus(error), error);
      } else {
        logger.error({ err: error }, `gateway: ${name} failed`);
        send(res, 500, new CredtrailError(GatewayErrorCode.INTERNAL, "Unexpected error."));
      }
    }
  };
}

/** The HTTP status of a refusal by its error class: 401, 403, 404, else 400. */
export function errorStatus(error: CredtrailError): number {
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  return 400;
}
