/**
 * The rows of a provider's file (CSV with a header line, or NDJSON), checked before anything is
 * sent: each row names the enterprise by its USCC (column `uscc`), carries the schema's fields
 * (the `subject` field is filled in: HMAC of the USCC under the consortium key) and optionally
 * `observedAt` / `expiresAt` (unix seconds or YYYY-MM-DD) and `severity` (none, minor, general,
 * serious; default: the schema's rules). Every bad row is reported with its line number.
 */
import {
  normalizeUscc,
  recordDataHash,
  recordIssues,
  recordSeverity,
  severityFromName,
  subjectId,
  type FieldDefinition,
  type Hex,
  type SchemaDefinition,
} from "../../../core/index.js";

export interface FileRow {
  /** 1-based line number in the file. */
  line: number;
  uscc: string;
  subject: Hex;
  record: Record<string, unknown>;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
}

export interface RowProblem {
  line: number;
  problem: string;
}

export interface ReadRowsResult {
  rows: FileRow[];
  problems: RowProblem[];
}

export interface ReadRowsOptions {
  format: "csv" | "ndjson";
  definition: SchemaDefinition;
  consortiumKey: string;
  /** observedAt of rows that do not give one (unix seconds). */
  defaultObservedAt: bigint;
}

const META = new Set(["uscc", "observedAt", "expiresAt", "severity"]);

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  if (quoted) throw new Error("a quoted cell is not closed");
  cells.push(cell);
  return cells;
}

/** A CSV cell as the value its field type wants (the schema check then judges it). */
function csvValue(field: FieldDefinition | undefined, text: string): unknown {
  if (field === undefined) return text;
  switch (field.type) {
    case "integer":
    case "number":
      return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text.trim()) ? Number(text) : text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    default:
      return text;
  }
}

function time(value: unknown, name: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string") {
    if (/^\d{1,12}$/.test(value)) return BigInt(value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const ms = Date.parse(`${value}T00:00:00Z`);
      if (!Number.isNaN(ms)) return BigInt(ms / 1000);
    }
  }
  throw new Error(`${name} must be unix seconds or YYYY-MM-DD`);
}

/** Raw objects from the file, with their line numbers (problems for lines that are not rows). */
function rawRows(
  text: string,
  format: "csv" | "ndjson",
): {
  objects: { line: number; value: Record<string, unknown> }[];
  problems: RowProblem[];
  header?: string[];
} {
  const lines = text.split(/\r?\n/);
  const objects: { line: number; value: Record<string, unknown> }[] = [];
  const problems: RowProblem[] = [];
  if (format === "ndjson") {
    lines.forEach((raw, i) => {
      if (raw.trim() === "") return;
      try {
        const value = JSON.parse(raw) as unknown;
        if (typeof value !== "object" || value === null || Array.isArray(value))
          problems.push({ line: i + 1, problem: "must be a JSON object" });
        else objects.push({ line: i + 1, value: value as Record<string, unknown> });
      } catch {
        problems.push({ line: i + 1, problem: "is not JSON" });
      }
    });
    return { objects, problems };
  }
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) return { objects, problems };
  const header = splitCsvLine(lines[headerIndex]).map((h) => h.trim());
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let cells: string[];
    try {
      cells = splitCsvLine(lines[i]);
    } catch (error) {
      problems.push({ line: i + 1, problem: (error as Error).message });
      continue;
    }
    if (cells.length !== header.length) {
      problems.push({
        line: i + 1,
        problem: `has ${cells.length} cells, the header has ${header.length}`,
      });
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((name, j) => {
      if (cells[j] !== "") value[name] = cells[j];
    });
    objects.push({ line: i + 1, value });
  }
  return { objects, problems, header };
}

/** Reads and checks every row; `rows` is complete only when `problems` is empty. */
export function readRows(text: string, options: ReadRowsOptions): ReadRowsResult {
  const { definition } = options;
  const fields = new Map(definition.fields.map((f) => [f.name, f]));
  const { objects, problems } = rawRows(text, options.format);
  const rows: FileRow[] = [];
  for (const { line, value } of objects) {
    const say = (problem: string) => problems.push({ line, problem });
    const uscc = value.uscc;
    if (typeof uscc !== "string" || uscc.trim() === "") {
      say("has no uscc");
      continue;
    }
    let code: string;
    try {
      code = normalizeUscc(uscc);
    } catch (error) {
      say(`uscc ${uscc}: ${(error as Error).message}`);
      continue;
    }
    if (value.subject !== undefined) {
      say("must not give subject (it is computed from the uscc)");
      continue;
    }
    const subject = subjectId(options.consortiumKey, code);
    const record: Record<string, unknown> = { subject };
    for (const [name, v] of Object.entries(value)) {
      if (META.has(name)) continue;
      record[name] = options.format === "csv" ? csvValue(fields.get(name), v as string) : v;
    }
    const issues = recordIssues(definition, record);
    if (issues.length > 0) {
      say(issues.map((x) => `${x.path} ${x.problem}`).join("; "));
      continue;
    }
    try {
      const observedAt =
        value.observedAt === undefined
          ? options.defaultObservedAt
          : time(value.observedAt, "observedAt");
      const expiresAt = value.expiresAt === undefined ? 0n : time(value.expiresAt, "expiresAt");
      if (expiresAt !== 0n && expiresAt <= observedAt)
        throw new Error("expiresAt must be after observedAt");
      const severity =
        value.severity === undefined
          ? recordSeverity(definition, record)
          : severityFromName(typeof value.severity === "string" ? value.severity : "");
      rows.push({
        line,
        uscc: code,
        subject,
        record,
        dataHash: recordDataHash(definition, record),
        observedAt,
        expiresAt,
        severity,
      });
    } catch (error) {
      say((error as Error).message);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}
