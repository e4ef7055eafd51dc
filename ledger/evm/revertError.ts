/**
 * Turns what ethers throws on a submission into a LedgerError with a stable code. A revert becomes
 * LEDGER_REVERTED with the contract's custom error decoded by name and arguments (either contract:
 * a registry call can revert with a Consortium error raised by `authorize`), e.g.
 * "RegistryRecordExists(0x…)" with details `{ contract, error, args: { uid }, signature, data }`.
 */
import { isError, type ErrorDescription, type ParamType } from "ethers";

import { CredtrailError, LedgerError, type Hex } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import { ERROR_INTERFACES, type ErrorSource } from "./abi.js";

export interface DecodedRevert {
  /** The contract whose ABI declares the error; "Solidity" for Error(string) and Panic(uint256). */
  contract: ErrorSource | "Solidity";
  /** The error's name, e.g. "RegistryRecordExists". */
  error: string;
  /** e.g. "RegistryRecordExists(bytes32)". */
  signature: string;
  selector: Hex;
  /** Arguments by parameter name, JSON-safe (integers as decimal strings, bytes as lowercase hex). */
  args: Record<string, unknown>;
  /** The arguments as the message shows them. */
  formatted: string;
}

/** Integers as decimal strings, bytes as lowercase hex, addresses checksummed (as ethers gives them). */
function jsonSafe(value: unknown, param: ParamType): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string" && param.type.startsWith("bytes")) return value.toLowerCase();
  if (param.isArray() && Array.isArray(value))
    return value.map((v) => jsonSafe(v, param.arrayChildren));
  return value;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  return String(value);
}

function describe(
  contract: DecodedRevert["contract"],
  description: ErrorDescription,
): DecodedRevert {
  const inputs: readonly ParamType[] = description.fragment.inputs;
  const args: Record<string, unknown> = {};
  const shown: string[] = [];
  inputs.forEach((param, i) => {
    const value = jsonSafe(description.args[i], param);
    args[param.name === "" ? String(i) : param.name] = value;
    shown.push(show(value));
  });
  return {
    contract,
    error: description.name,
    signature: description.signature,
    selector: description.selector.toLowerCase() as Hex,
    args,
    formatted: `${description.name}(${shown.join(", ")})`,
  };
}

/** Decodes revert data with both contracts' errors (and Solidity's Error/Panic); undefined if unknown. */
export function decodeRevertData(data: string): DecodedRevert | undefined {
  if (!/^0x[0-9a-fA-F]{8}/.test(data)) return undefined;
  for (const contract of Object.keys(ERROR_INTERFACES) as ErrorSource[]) {
    let description: ErrorDescription | null;
    try {
      description = ERROR_INTERFACES[contract].parseError(data);
    } catch {
      continue; // the selector matched but the arguments do not decode: try the other ABI
    }
    if (description !== null) {
      const builtin = description.name === "Error" || description.name === "Panic";
      return describe(builtin ? "Solidity" : contract, description);
    }
  }
  return undefined;
}

/** The revert data inside an ethers error (or the JSON-RPC error it wraps), if any. */
export function findRevertData(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  if (typeof record.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(record.data))
    return record.data;
  for (const key of ["data", "error", "info", "cause", "revert"]) {
    const found = findRevertData(record[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const REJECTED_CODES = new Set([
  "INSUFFICIENT_FUNDS",
  "NONCE_EXPIRED",
  "REPLACEMENT_UNDERPRICED",
  "TRANSACTION_REPLACED",
  "INVALID_ARGUMENT",
]);

function messageOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const shortMessage = (error as { shortMessage?: unknown }).shortMessage;
    if (typeof shortMessage === "string") return shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A LedgerError for a failed submission of `operation` (credtrail errors pass through). */
export function submissionError(error: unknown, operation: string): CredtrailError {
  if (error instanceof CredtrailError) return error;
  const data = findRevertData(error);
  const reverted = isError(error, "CALL_EXCEPTION") || data !== undefined;
  if (reverted) {
    const decoded = data === undefined ? undefined : decodeRevertData(data);
    if (decoded !== undefined) {
      return new LedgerError(decoded.formatted, {
        code: LedgerErrorCode.REVERTED,
        details: {
          operation,
          contract: decoded.contract,
          error: decoded.error,
          signature: decoded.signature,
          args: decoded.args,
          data: data?.toLowerCase(),
        },
        cause: error,
      });
    }
    const what =
      data === undefined || data === "0x"
        ? "without reason data"
        : `with unknown error ${data.slice(0, 10)}`;
    return new LedgerError(`${operation} reverted ${what}`, {
      code: LedgerErrorCode.REVERTED,
      details: { operation, data: data?.toLowerCase() },
      cause: error,
    });
  }
  const ethersCode =
    typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const code =
    typeof ethersCode === "string" && REJECTED_CODES.has(ethersCode)
      ? LedgerErrorCode.REJECTED
      : LedgerErrorCode.UNAVAILABLE;
  return new LedgerError(`${operation} failed: ${messageOf(error)}`, {
    code,
    details: { operation, ethersCode: typeof ethersCode === "string" ? ethersCode : undefined },
    cause: error,
  });
}
