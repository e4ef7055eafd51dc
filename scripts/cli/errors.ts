/**
 * How the CLI fails: one line on stderr and a non-zero exit code, never a stack trace for a user
 * mistake. A {@link CliError} carries its exit code; a core/ledger CredtrailError shows its code
 * and message; commander's own errors (unknown option, missing argument) are usage errors.
 */
import { CommanderError } from "commander";

import { CredtrailError, ValidationError } from "../../core/index.js";

export const ExitCode = {
  OK: 0,
  /** The command ran and its answer is negative (a verification failed) or a remote refused. */
  FAILED: 1,
  /** The user's input is wrong: options, files, rows, keys. */
  USAGE: 2,
  /** A node or gateway could not be reached. */
  UNAVAILABLE: 3,
  /** A bug: reported in one line too; CREDTRAIL_DEBUG=1 prints the stack. */
  INTERNAL: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string | undefined;
  constructor(message: string, exitCode: ExitCode = ExitCode.USAGE, code?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** Thrown by a command that already printed its (negative) result: exit with the code, say nothing. */
export class SilentExit extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ECONNRESET",
  "ETIMEDOUT",
  "EAI_AGAIN",
]);

function networkCause(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    e = e.cause;
  }
  return undefined;
}

/** The one line to print for an error and the exit code. */
export function describeError(error: unknown): { line: string; exitCode: ExitCode } {
  if (error instanceof CliError)
    return {
      line: error.code === undefined ? error.message : `${error.message} (${error.code})`,
      exitCode: error.exitCode,
    };
  if (error instanceof CommanderError)
    return { line: error.message.replace(/^error: /, ""), exitCode: ExitCode.USAGE };
  const network = networkCause(error);
  if (network !== undefined)
    return {
      line: `cannot reach the node or gateway (${network}): ${(error as Error).message}`,
      exitCode: ExitCode.UNAVAILABLE,
    };
  if (error instanceof CredtrailError) {
    const unavailable = /UNAVAILABLE/.test(error.code);
    return {
      line: `${error.message} (${error.code})`,
      exitCode:
        error instanceof ValidationError
          ? ExitCode.USAGE
          : unavailable
            ? ExitCode.UNAVAILABLE
            : ExitCode.FAILED,
    };
  }
  const shortCode = (error as { shortMessage?: unknown; code?: unknown } | null) ?? {};
  if (typeof shortCode.shortMessage === "string")
    // ethers errors: their short message, not the whole request dump
    return {
      line: `${shortCode.shortMessage}${typeof shortCode.code === "string" ? ` (${shortCode.code})` : ""}`,
      exitCode: ExitCode.FAILED,
    };
  return {
    line: `internal error: ${error instanceof Error ? error.message : String(error)}`,
    exitCode: ExitCode.INTERNAL,
  };
}
