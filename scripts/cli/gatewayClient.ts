/**
 * The gateway over HTTP: GraphQL with a login token signed by the member's key (gateway/auth
 * createLoginToken), and the NDJSON upload of a batch's leaves. A refusal is a CliError with the
 * gateway's code.
 */
import type { Wallet } from "ethers";

import type { Hex } from "../../core/index.js";
import { createLoginToken } from "../../gateway/auth/loginToken.js";
import { CliError, ExitCode } from "./errors.js";

export interface GatewayClientOptions {
  /** Base URL, e.g. http://127.0.0.1:4000. */
  url: string;
  /** What the token names (default: URL + /graphql). */
  audience?: string;
  signer: () => Wallet;
  member: () => Promise<Hex>;
  chainId: () => Promise<bigint>;
  now: () => bigint;
  fetch?: typeof fetch;
}

export interface GatewayClient {
  readonly url: string;
  /** A GraphQL request; `auth: false` sends no token (e.g. _meta). */
  request<T>(query: string, variables?: Record<string, unknown>, auth?: boolean): Promise<T>;
  uploadLeaves(
    root: string,
    ndjson: string,
  ): Promise<{ root: string; count: number; projected: boolean }>;
  /** POST /records: the contents of attested records, `{"uid","record"}` per line. */
  uploadRecords(ndjson: string): Promise<{ stored: number; alreadyStored: number }>;
}

interface GraphqlError {
  message?: string;
  extensions?: { code?: string };
}

const TOKEN_LIFETIME = 600;

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const base = options.url.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(base))
    throw new CliError(`--gateway ${options.url} is not an http(s) URL`);
  const audience = options.audience ?? `${base}/graphql`;
  const doFetch = options.fetch ?? fetch;
  let token: { value: string; expiresAt: bigint } | undefined;

  const bearer = async (): Promise<string> => {
    const now = options.now();
    if (token === undefined || token.expiresAt - 30n <= now) {
      const value = await createLoginToken(options.signer(), {
        chainId: await options.chainId(),
        member: await options.member(),
        audience,
        lifetimeSeconds: TOKEN_LIFETIME,
        now,
      });
      token = { value, expiresAt: now + BigInt(TOKEN_LIFETIME) };
    }
    return token.value;
  };

  const send = async (
    path: string,
    init: RequestInit,
  ): Promise<{ status: number; body: unknown }> => {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new CliError(
        `cannot reach the gateway at ${base}${cause?.code === undefined ? "" : ` (${cause.code})`}`,
        ExitCode.UNAVAILABLE,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      if (response.status === 404)
        throw new CliError(`the gateway has no ${path}`, ExitCode.FAILED, "ROUTE_NOT_FOUND");
      throw new CliError(
        `the gateway answered ${response.status} with something that is not JSON`,
        ExitCode.FAILED,
      );
    }
    return { status: response.status, body };
  };

  /** POST of an NDJSON body with the token; a refusal (with the line it names) is a CliError. */
  const uploadNdjson = async <T>(path: string, ndjson: string, what: string): Promise<T> => {
    const { status, body } = await send(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-ndjson",
        authorization: `Bearer ${await bearer()}`,
      },
      body: ndjson,
    });
    const answer = (body ?? {}) as T & {
      error?: { code?: string; message?: string; details?: { line?: number } };
    };
    if (answer.error !== undefined || status >= 400) {
      const line = answer.error?.details?.line;
      throw new CliError(
        `the gateway refused ${what}${line === undefined ? "" : ` at line ${line}`}: ${answer.error?.message ?? `HTTP ${status}`}`,
        ExitCode.FAILED,
        answer.error?.code,
      );
    }
    return answer;
  };

  return {
    url: base,
    async request<T>(query: string, variables: Record<string, unknown> = {}, auth = true) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (auth) headers.authorization = `Bearer ${await bearer()}`;
      const { status, body } = await send("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const answer = (body ?? {}) as { data?: T; errors?: GraphqlError[] };
      const error = answer.errors?.[0];
      if (error !== undefined) {
        const code = error.extensions?.code;
        throw new CliError(
          `the gateway refused: ${error.message ?? "unknown error"}`,
          code === "INTERNAL" ? ExitCode.INTERNAL : ExitCode.FAILED,
          code,
        );
      }
      if (status >= 400 || answer.data === undefined)
        throw new CliError(`the gateway answered HTTP ${status}`, ExitCode.FAILED);
      return answer.data;
    },
    async uploadRecords(ndjson) {
      const answer = await uploadNdjson<{ stored?: number; alreadyStored?: number }>(
        "/records",
        ndjson,
        "the record contents",
      );
      return { stored: answer.stored ?? 0, alreadyStored: answer.alreadyStored ?? 0 };
    },
    async uploadLeaves(root, ndjson) {
      const answer = await uploadNdjson<{ root?: string; count?: number; projected?: boolean }>(
        `/batches/${root}/leaves`,
        ndjson,
        "the leaves",
      );
      return {
        root: answer.root ?? root,
        count: answer.count ?? 0,
        projected: answer.projected ?? false,
      };
    },
  };
}
