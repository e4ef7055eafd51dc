/**
 * Request bodies for /graphql: JSON only, at most `maxBytes` (413 BODY_TOO_LARGE, announced or
 * streamed), parsed once by express and handed to yoga. Other content types get 415: multipart
 * uploads go to the streaming endpoints, not GraphQL.
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

export function bodyLimit(options: {
  maxBytes: number;
  onReject?: (code: GatewayErrorCode) => void;
}): (RequestHandler | ErrorRequestHandler)[] {
  const { maxBytes, onReject } = options;
  const json = express.json({ limit: maxBytes, strict: true });
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
