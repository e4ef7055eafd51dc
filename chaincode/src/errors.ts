/**
 * The chaincode's errors. Each rule the contracts enforce fails with the name of the Solidity custom
 * error that enforces it on the EVM (`RegistryRecordExists`, `ConsortiumUnknownKey`, ...) and that
 * error's arguments, so both ledgers reject the same things with the same names. The message a peer
 * returns is `<ErrorName> <canonical JSON of the arguments>`; {@link parseChaincodeError} reads it.
 */
import { canonicalJson, CredtrailError } from "../../core/index.js";

import { toJsonValue } from "./json.js";

export class ChaincodeError extends Error {
  readonly errorName: string;
  readonly args: Record<string, unknown>;

  constructor(errorName: string, args: Record<string, unknown> = {}) {
    super(`${errorName} ${canonicalJson(toJsonValue(args))}`);
    this.name = "ChaincodeError";
    this.errorName = errorName;
    this.args = args;
  }
}

/** Throws ChaincodeError `errorName` with `args`. */
export function fail(errorName: string, args: Record<string, unknown> = {}): never {
  throw new ChaincodeError(errorName, args);
}

/** An argument that does not parse: `InvalidArgument {"argument":...,"code":...,"reason":...}`. */
export function invalidArgument(
  argument: string,
  reason: string,
  code = "INVALID_ARGUMENT",
): never {
  throw new ChaincodeError("InvalidArgument", { argument, code, reason });
}

/** Rethrows a core validation error of argument `argument` as InvalidArgument (others unchanged). */
export function asInvalidArgument(argument: string, error: unknown): never {
  if (error instanceof CredtrailError) invalidArgument(argument, error.message, error.code);
  throw error;
}

/** The error name and arguments of a peer's error message, or undefined when it is not ours. */
export function parseChaincodeError(
  message: string,
): { errorName: string; args: Record<string, unknown> } | undefined {
  const match = /^([A-Z][A-Za-z]+) (\{.*\})$/s.exec(message);
  if (match === null) return undefined;
  try {
    const args: unknown = JSON.parse(match[2]);
    if (typeof args !== "object" || args === null || Array.isArray(args)) return undefined;
    return { errorName: match[1], args: args as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
