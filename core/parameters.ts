/**
 * Governed parameters of the consortium (IConsortium.parameter): names as bytes32 strings on the
 * ledger, values in seconds. The defaults follow DOMAIN.md (征信业管理条例 art. 25 for disputes, the
 * NDRC credit-repair measures of 2023 for repair periods); governance may change them.
 */
import { decodeBytes32String, encodeBytes32String } from "ethers";

import type { Hex, Uint64Like } from "./abiValues.js";
import { toBytes32, toUint64 } from "./abiValues.js";
import { ErrorCode, ValidationError } from "./errors.js";
import { Severity, toSeverity } from "./severity.js";

export const DAY_SECONDS = 86_400n;

export const PARAMETER_NAMES = [
  "disputePeriod",
  "repairPeriod.minor",
  "repairPeriod.general",
  "repairPeriod.serious",
  "votingPeriod",
] as const;

export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** Default values in seconds. */
export const PARAMETER_DEFAULTS: Readonly<Record<ParameterName, bigint>> = {
  /** A provider answers a dispute within 20 days. */
  disputePeriod: 20n * DAY_SECONDS,
  /** Minor records are not published, so they can be repaired at once. */
  "repairPeriod.minor": 0n,
  /** General records are repairable 3 months after the behaviour. */
  "repairPeriod.general": 90n * DAY_SECONDS,
  /** Serious records are repairable 1 year after the behaviour. */
  "repairPeriod.serious": 365n * DAY_SECONDS,
  /** A governance proposal stays open 7 days. */
  votingPeriod: 7n * DAY_SECONDS,
};

/** No period is longer than ten years (Consortium._MAX_PERIOD). */
export const MAX_PARAMETER_SECONDS = 3650n * DAY_SECONDS;

/** disputePeriod and votingPeriod need at least an hour (a vote or an answer takes time). */
export const MIN_TIMED_PARAMETER_SECONDS = 3_600n;

/** The bytes32 key of each parameter as the ledger stores it. */
export const PARAMETER_KEYS: Readonly<Record<ParameterName, Hex>> = Object.fromEntries(
  PARAMETER_NAMES.map((name) => [name, encodeBytes32String(name) as Hex]),
) as Record<ParameterName, Hex>;

function unknownParameter(value: unknown): ValidationError {
  return new ValidationError(
    ErrorCode.PARAMETER_INVALID,
    `unknown parameter ${JSON.stringify(String(value))}`,
    {
      details: { name: String(value), allowed: PARAMETER_NAMES },
    },
  );
}

/** Whether `name` is a governed parameter name. */
export function isParameterName(name: unknown): name is ParameterName {
  return typeof name === "string" && (PARAMETER_NAMES as readonly string[]).includes(name);
}

/** The bytes32 key of a parameter name; throws ValidationError PARAMETER_INVALID for unknown names. */
export function parameterKey(name: string): Hex {
  if (!isParameterName(name)) throw unknownParameter(name);
  return PARAMETER_KEYS[name];
}

/** The parameter name of a bytes32 key; throws PARAMETER_INVALID for unknown keys. */
export function parameterName(key: string): ParameterName {
  const hex = toBytes32(key, "parameter key");
  let name: string;
  try {
    name = decodeBytes32String(hex);
  } catch {
    throw unknownParameter(hex);
  }
  if (!isParameterName(name) || PARAMETER_KEYS[name] !== hex) throw unknownParameter(hex);
  return name;
}

/**
 * Checks a value for a parameter as the consortium does (at most ten years; disputePeriod and
 * votingPeriod at least an hour) and returns it; throws ValidationError PARAMETER_INVALID.
 */
export function checkParameterValue(name: string, value: Uint64Like): bigint {
  if (!isParameterName(name)) throw unknownParameter(name);
  let seconds: bigint;
  try {
    seconds = toUint64(value, name);
  } catch (cause) {
    throw new ValidationError(
      ErrorCode.PARAMETER_INVALID,
      `${name} must be a uint64 number of seconds`,
      {
        details: { name },
        cause,
      },
    );
  }
  const timed = name === "disputePeriod" || name === "votingPeriod";
  if (seconds > MAX_PARAMETER_SECONDS || (timed && seconds < MIN_TIMED_PARAMETER_SECONDS)) {
    throw new ValidationError(
      ErrorCode.PARAMETER_INVALID,
      `${name} must be ${timed ? "1 hour" : "0"} to 3650 days, got ${seconds} seconds`,
      { details: { name, value: seconds.toString() } },
    );
  }
  return seconds;
}

/** The parameter that holds the minimum repair period of a severity (None has none). */
export function repairPeriodParameter(severity: number): ParameterName {
  const s = toSeverity(severity);
  switch (s) {
    case Severity.Minor:
      return "repairPeriod.minor";
    case Severity.General:
      return "repairPeriod.general";
    case Severity.Serious:
      return "repairPeriod.serious";
    case Severity.None:
      throw new ValidationError(
        ErrorCode.SEVERITY_INVALID,
        "a record of severity None is not negative and has no repair period",
        {
          details: { severity: s },
        },
      );
  }
}
