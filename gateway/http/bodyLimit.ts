/**
 * Request bodies for /graphql: JSON only, at most `maxBytes` (413 BODY_TOO_LARGE, announced or
 * streamed), parsed once by express and handed to yoga. Other content types get 415: multipart
 * uploads go to the streaming endpoints, not GraphQL.
 *
 * The fast path (`fastPath.ts`) reads and parses the bodies it may answer itself before express
 * sees them; those it hands on carry their parsed body (or the parse failure) under `PREREAD`, and
 * take the same route from here on as a body express.json() read.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import express from "express";

import { GatewayErrorCode } from "../errors.js";

function send(
  res: import("express").Response,
  status: number,
  code: GatewayErrorCode,
  message: string,
): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** A body the fast path already read: its JSON, or body-parser's failure type. */
export type PrereadBody =
  { body: unknown } | { error: { type: "entity.parse.failed"; status: 400 } };

export const PREREAD: unique symbol = Symbol("credtrail.prereadBody");

const FIRST_NON_WHITESPACE = /^[ \t\n\r]*([^ \t\n\r]|$)/;

/**
 * Parses a UTF-8 JSON body as `express.json({ strict: true })` does: a leading BOM dropped (its
 * decoder strips it), only an object or array at the top, the same failure type otherwise.
 */
export function parseJsonBody(bytes: Buffer): PrereadBody {
  let text = bytes.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return { body: {} };
  const first = FIRST_NON_WHITESPACE.exec(text)?.[1];
  if (first === "{" || first === "[") {
    try {
      return { body: JSON.parse(text) as unknown };
    } catch {
      // same answer as a strict-mode refusal
    }
  }
  return { error: { type: "entity.parse.failed", status: 400 } };
}

export function bodyLimit(options: {
  maxBytes: number;
  onReject?: (code: GatewayErrorCode) => void;
}): (RequestHandler | ErrorRequestHandler)[] {
  const { maxBytes, onReject } = options;
  const jsonParser: RequestHandler = express.json({ limit: maxBytes, strict: true });
  const json: RequestHandler = (req, res, next) => {
    const preread = (req as { [PREREAD]?: PrereadBody })[PREREAD];
    if (preread === undefined) {
      jsonParser(req, res, next);
      return;
    }
    if ("error" in preread) {
      next(preread.error);
      return;
    }
    req.body = preread.body;
    next();
  };
  const announced: RequestHandler = (req, res, next) => {
    if (req.method !== "POST") {
      next();
      return;
    }
    const length = Number(req.headers["content-length"] ?? "0");
    if (length > maxBytes) {
      onReject?.(GatewayErrorCode.BODY_TOO_LARGE);
      send(res, 413, GatewayErrorCode.BODY_TOO_LARGE, `request body exceeds ${maxBytes} bytes`);
      return;
    }
    if (!req.is("application/json")) {
      onReject?.(GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE);
      send(
        res,
        415,
        GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "POST /graphql takes application/json",
      );
      return;
    }
    next();
  };
  const parseErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    const type = (error as { type?: unknown } | null)?.type;
    if (type === "entity.too.large") {
      onReject?.(GatewayErrorCode.BODY_TOO_LARGE);
      send(res, 413, GatewayErrorCode.BODY_TOO_LARGE, `request body exceeds ${maxBytes} bytes`);
      return;
    }
    if (type === "entity.parse.failed" || type === "encoding.unsupported") {
      onReject?.(GatewayErrorCode.BODY_INVALID);
      send(res, 400, GatewayErrorCode.BODY_INVALID, "request body is not valid JSON");
      return;
    }
    next(error);
  };
  return [announced, json, parseErrors];
}
