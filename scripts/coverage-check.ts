/**
 * Coverage gate for our Solidity contracts, run after `npx hardhat test --coverage`:
 *
 *   npx tsx scripts/coverage-check.ts [MIN] [--per-file]      (MIN in percent, default 95)
 *
 * Counts every file under contracts/ that has executable statements, except contracts/test/**,
 * Solidity test files (*.t.sol) and anything from node_modules (OpenZeppelin, EAS). It fails (exit 1)
 * when the total line or statement coverage of those files is below MIN (with --per-file, also when
 * any one file is), and when there is nothing to measure: no contracts, or no coverage data.
 *
 * Lines come from coverage/lcov.info. Statements are not in lcov (Hardhat prints them only in its
 * table), so they are counted the way Hardhat counts them: each contract is instrumented again with
 * EDR, Hardhat's own copy, which names every statement by a deterministic tag, and the tags are
 * looked up among the executed ones Hardhat saved in coverage/data/<test runner>/*.json. The script
 * refuses to report when those tags cannot be matched to what lcov says ran.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface LineCounts {
  /** Instrumented lines, each with whether it ran. */
  readonly lines: ReadonlyMap<number, boolean>;
}

export interface FileCoverage {
  readonly file: string;
  readonly linesFound: number;
  readonly linesHit: number;
  readonly statementsFound: number;
  readonly statementsHit: number;
  readonly uncoveredLines: readonly number[];
}

export interface CoverageTotals {
  readonly linesFound: number;
  readonly linesHit: number;
  readonly statementsFound: number;
  readonly statementsHit: number;
}

export interface CheckOptions {
  readonly min: number;
  readonly perFile: boolean;
}

/** What the gate decided, with one line per reason it failed. */
export interface CheckResult {
  readonly ok: boolean;
  readonly failures: readonly string[];
}

/** Files the gate measures: ours, under contracts/, not test helpers and not dependencies. */
export function isOurContract(relativePath: string): boolean {
  const p = relativePath.split(path.sep).join("/");
  return (
    p.startsWith("contracts/") &&
    p.endsWith(".sol") &&
    !p.endsWith(".t.sol") &&
    !p.startsWith("contracts/test/") &&
    !p.split("/").includes("node_modules")
  );
}

/** Parses the SF / DA records of an lcov tracefile. */
export function parseLcov(text: string): Map<string, LineCounts> {
  const files = new Map<string, LineCounts>();
  let current: Map<number, boolean> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      current = new Map();
      files.set(line.slice(3).split(path.sep).join("/"), { lines: current });
    } else if (line.startsWith("DA:") && current !== undefined) {
      const [lineNo, count] = line.slice(3).split(",");
      const n = Number(lineNo);
      if (Number.isInteger(n)) {
        current.set(n, (current.get(n) ?? false) || Number(count) > 0);
      }
    } else if (line === "end_of_record") {
      current = undefined;
    }
  }
  return files;
}

/** `[3, 4, 5, 9]` → `"3-5, 9"`, cut with "…" past `maxLength` characters. */
export function formatRanges(lines: readonly number[], maxLength = Infinity): string {
  const sorted = [...lines].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i];
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      end = sorted[++i];
    }
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  let text = parts.join(", ");
  while (text.length > maxLength && parts.length > 1) {
    parts.pop();
    text = `${parts.join(", ")}, …`;
  }
  return text;
}

export function percent(hit: number, found: number): number {
  return found === 0 ? 100 : (hit * 100) / found;
}

export function totals(files: readonly FileCoverage[]): CoverageTotals {
  return files.reduce<CoverageTotals>(
    (t, f) => ({
      linesFound: t.linesFound + f.linesFound,
      linesHit: t.linesHit + f.linesHit,
      statementsFound: t.statementsFound + f.statementsFound,
      statementsHit: t.statementsHit + f.statementsHit,
    }),
    { linesFound: 0, linesHit: 0, statementsFound: 0, statementsHit: 0 },
  );
}

/** Applies the threshold. Percentages are compared unrounded, so 94.999 % fails a 95 % gate. */
export function check(files: readonly FileCoverage[], options: CheckOptions): CheckResult {
  const failures: string[] = [];
  const t = totals(files);
  if (files.length === 0 || t.statementsFound === 0) {
    failures.push(
      "no statements to measure in contracts/ (excluding contracts/test/): nothing was covered, so nothing passes",
    );
    return { ok: false, failures };
  }
  const gate = (what: string, hit: number, found: number): void => {
    const p = percent(hit, found);
    if (p < options.min) {
      failures.push(`${what}: ${p.toFixed(2)}% (${hit}/${found}) is below ${options.min}%`);
    }
  };
  gate("total line coverage", t.linesHit, t.linesFound);
  gate("total statement coverage", t.statementsHit, t.statementsFound);
  if (options.perFile) {
    for (const f of files) {
      gate(`${f.file} line coverage`, f.linesHit, f.linesFound);
      gate(`${f.file} statement coverage`, f.statementsHit, f.statementsFound);
    }
  }
  return { ok: failures.length === 0, failures };
}

export function formatReport(files: readonly FileCoverage[], min: number): string {
  const t = totals(files);
  const cell = (hit: number, found: number): string =>
    found === 0
      ? `${"-".padStart(7)} ${"0/0".padStart(9)}`
      : `${percent(hit, found).toFixed(2).padStart(6)}% ${`${hit}/${found}`.padStart(9)}`;
  const width = Math.max(5, ...files.map((f) => f.file.length));
  const rows = [
    `${"file".padEnd(width)}  ${"lines".padEnd(17)}  ${"statements".padEnd(17)}  uncovered lines`,
    ...files.map(
      (f) =>
        `${f.file.padEnd(width)}  ${cell(f.linesHit, f.linesFound)}  ` +
        `${cell(f.statementsHit, f.statementsFound)}  ${formatRanges(f.uncoveredLines, 60) || "-"}`,
    ),
    `${"total".padEnd(width)}  ${cell(t.linesHit, t.linesFound)}  ${cell(t.statementsHit, t.statementsFound)}`,
  ];
  return [`coverage-check: minimum ${min}% of lines and of statements`, ...rows].join("\n");
}

// --- Reading what Hardhat left behind -------------------------------------------------------------

class CoverageCheckError extends Error {
  override name = "CoverageCheckError";
}

interface Edr {
  latestSupportedSolidityVersion(): string;
  addStatementCoverageInstrumentation(
    source: string,
    sourceName: string,
    solidityVersion: string,
  ): { metadata: readonly { kind: string; tag: Uint8Array }[] };
}

function isEdr(value: unknown): value is Edr {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.latestSupportedSolidityVersion === "function" &&
    typeof v.addStatementCoverageInstrumentation === "function"
  );
}

/** The EDR that Hardhat itself uses, resolved from Hardhat's own folder. */
function loadEdr(root: string): Edr {
  const fromRoot = createRequire(path.join(root, "package.json"));
  const fromHardhat = createRequire(fromRoot.resolve("hardhat/package.json"));
  const edr: unknown = fromHardhat("@nomicfoundation/edr");
  if (!isEdr(edr)) {
    throw new CoverageCheckError(
      "@nomicfoundation/edr (Hardhat's) lacks addStatementCoverageInstrumentation; update scripts/coverage-check.ts for this Hardhat",
    );
  }
  return edr;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8")) as unknown;
}

/** Every statement tag some test executed, over all test runners (coverage/data/<runner>/*.json). */
function executedTags(coverageDir: string): Set<string> {
  const dataDir = path.join(coverageDir, "data");
  const tags = new Set<string>();
  if (!existsSync(dataDir)) return tags;
  for (const runner of readdirSync(dataDir, { withFileTypes: true })) {
    if (!runner.isDirectory()) continue;
    for (const file of readdirSync(path.join(dataDir, runner.name))) {
      if (!file.endsWith(".json")) continue;
      const data = readJson(path.join(dataDir, runner.name, file));
      if (typeof data !== "object" || data === null) continue;
      for (const [tag, count] of Object.entries(data)) {
        if (typeof count === "number" && count > 0) tags.add(tag);
      }
    }
  }
  return tags;
}

/** Solidity version each project source was compiled with, from Hardhat's build-info files. */
function solcVersions(root: string): Map<string, string> {
  const versions = new Map<string, string>();
  const dir = path.join(root, "artifacts", "build-info");
  if (!existsSync(dir)) return versions;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".json") || file.endsWith(".output.json")) continue;
    const info = readJson(path.join(dir, file)) as {
      solcVersion?: unknown;
      input?: { sources?: Record<string, unknown> };
    };
    if (typeof info.solcVersion !== "string") continue;
    for (const sourceName of Object.keys(info.input?.sources ?? {})) {
      versions.set(sourceName, info.solcVersion);
    }
  }
  return versions;
}

function semverLte(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  }
  return true;
}

function solidityFiles(dir: string, root: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".sol"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .filter(isOurContract)
    .sort();
}

/** Lines and statements of each of our contracts that has at least one statement. */
export function collect(root: string): FileCoverage[] {
  const coverageDir = path.join(root, "coverage");
  const lcovPath = path.join(coverageDir, "lcov.info");
  if (!existsSync(lcovPath)) {
    throw new CoverageCheckError(
      `${path.relative(root, lcovPath)} is missing: run the tests with coverage first (npm test, or npx hardhat test --coverage)`,
    );
  }
  const lcov = parseLcov(readFileSync(lcovPath, "utf8"));
  const ran = executedTags(coverageDir);
  const versions = solcVersions(root);
  const edr = loadEdr(root);
  const latest = edr.latestSupportedSolidityVersion();

  const out: FileCoverage[] = [];
  for (const file of solidityFiles(path.join(root, "contracts"), root)) {
    const sourceName = `project/${file}`;
    const compiledWith = versions.get(sourceName) ?? latest;
    // Hardhat instruments with the job's solc version, capped at the newest one EDR can parse.
    const version = semverLte(compiledWith, latest) ? compiledWith : latest;
    const source = readFileSync(path.join(root, file), "utf8");
    const tags = edr
      .addStatementCoverageInstrumentation(source, sourceName, version)
      .metadata.filter((m) => m.kind === "statement")
      .map((m) => Buffer.from(m.tag).toString("hex"));
    if (tags.length === 0) continue; // interfaces, constant-only libraries: nothing executes

    const lines = lcov.get(file)?.lines;
    if (lines === undefined) {
      throw new CoverageCheckError(
        `${file} has ${tags.length} statements but no record in coverage/lcov.info: the coverage data is stale or incomplete; rerun the tests with coverage`,
      );
    }
    const linesHit = [...lines.values()].filter(Boolean).length;
    const statementsHit = new Set(tags.filter((t) => ran.has(t))).size;
    if (linesHit > 0 && statementsHit === 0) {
      throw new CoverageCheckError(
        `${file}: lcov says ${linesHit} lines ran, but none of its statement tags is among the executed ones; ` +
          "Hardhat's tagging has changed (or coverage/data is stale): update scripts/coverage-check.ts",
      );
    }
    out.push({
      file,
      linesFound: lines.size,
      linesHit,
      statementsFound: new Set(tags).size,
      statementsHit,
      uncoveredLines: [...lines.entries()].filter(([, hit]) => !hit).map(([n]) => n),
    });
  }
  return out;
}

export function parseArgs(argv: readonly string[]): CheckOptions {
  let min = 95;
  let perFile = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--per-file") {
      perFile = true;
    } else if (arg === "--min" || arg.startsWith("--min=")) {
      min = Number(arg === "--min" ? argv[++i] : arg.slice("--min=".length));
    } else if (/^\d+(\.\d+)?$/.test(arg)) {
      min = Number(arg);
    } else {
      throw new CoverageCheckError(
        `unknown argument ${JSON.stringify(arg)}; usage: coverage-check.ts [MIN] [--per-file]`,
      );
    }
  }
  if (!Number.isFinite(min) || min < 0 || min > 100) {
    throw new CoverageCheckError("the minimum must be a percentage between 0 and 100");
  }
  return { min, perFile };
}

function main(): number {
  try {
    const options = parseArgs(process.argv.slice(2));
    const files = collect(process.cwd());
    console.log(formatReport(files, options.min));
    const result = check(files, options);
    if (!result.ok) {
      for (const failure of result.failures) console.error(`coverage-check: FAIL ${failure}`);
      return 1;
    }
    console.log(`coverage-check: ok (${files.length} contracts)`);
    return 0;
  } catch (error) {
    if (error instanceof CoverageCheckError) {
      console.error(`coverage-check: FAIL ${error.message}`);
      return 1;
    }
    throw error;
  }
}

// Run only as a script, not when a test imports the functions above.
if (import.meta.url === pathToFileURL(path.resolve(process.argv[1] ?? "")).href) {
  process.exitCode = main();
}
