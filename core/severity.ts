/**
 * Severity of a negative record, identical to `ICreditRegistry.Severity`. It decides the minimum
 * period before credit repair (see parameters.ts). Records that are not negative have None.
 */
import { ErrorCode, ValidationError } from "./errors.js";

export const Severity = {
  None: 0,
  Minor: 1,
  General: 2,
  Serious: 3,
} as const;

export type Severity = (typeof Severity)[keyof typeof Severity];
export type SeverityName = keyof typeof Severity;

/** Names by value: SEVERITY_NAMES[severity]. */
export const SEVERITY_NAMES: readonly SeverityName[] = ["None", "Minor", "General", "Serious"];

/** Returns `value` as a Severity (0…3); throws ValidationError SEVERITY_INVALID otherwise. */
export function toSeverity(value: unknown): Severity {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 3)
    return value as Severity;
  throw new ValidationError(
    ErrorCode.SEVERITY_INVALID,
    "severity must be 0 (None), 1 (Minor), 2 (General) or 3 (Serious)",
    {
      details: {
        value: typeof value === "number" || typeof value === "string" ? value : typeof value,
      },
    },
  );
}

/** The name of a severity value. */
export function severityName(severity: number): SeverityName {
  return SEVERITY_NAMES[toSeverity(severity)];
}

/** The severity of a name, case-insensitive ("serious", "Serious"); throws SEVERITY_INVALID. */
export function severityFromName(name: string): Severity {
  const wanted = typeof name === "string" ? name.trim().toLowerCase() : "";
  const index = SEVERITY_NAMES.findIndex((n) => n.toLowerCase() === wanted);
  if (index < 0) {
    throw new ValidationError(
      ErrorCode.SEVERITY_INVALID,
      `unknown severity name ${JSON.stringify(name)}`,
      {
        details: { name, allowed: SEVERITY_NAMES },
      },
    );
  }
  return index as Severity;
}
