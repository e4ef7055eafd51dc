/** Reading the user's files: one clear line when a file is missing or not what it should be. */
import { readFileSync } from "node:fs";

import { CliError } from "./errors.js";

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "ENOENT"
        ? `no such file: ${path}`
        : code === "EISDIR"
          ? `${path} is a directory`
          : `cannot read ${path} (${code ?? "error"})`,
    );
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A file (or "-" for stdin) as JSON. */
export async function readJson(path: string, what: string): Promise<unknown> {
  const text = path === "-" ? await readStdin() : readText(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(
      `${what} ${path === "-" ? "(stdin)" : path} is not JSON: ${(error as Error).message}`,
    );
  }
}

/** A JSON array, an object holding one under `key`, or NDJSON lines. */
export function readJsonList(path: string, key: string, what: string): unknown[] {
  const text = readText(path);
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) return parsed;
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      Array.isArray((parsed as Record<string, unknown>)[key])
    )
      return (parsed as Record<string, unknown[]>)[key];
    throw new CliError(`${what} ${path} must be a JSON list, {"${key}": [...]} or NDJSON`);
  } catch (error) {
    if (error instanceof CliError) throw error;
  }
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, n }) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new CliError(`${what} ${path}: line ${n} is not JSON`);
      }
    });
}
