/** The CLI's pure parts, in process: CSV cells, row checks, the lineage tree, progress bars, errors. */
import { expect } from "chai";
import { CommanderError } from "commander";

import { completeUscc, SCHEMAS, subjectId, ValidationError } from "../../core/index.js";
import { describeError, CliError, ExitCode } from "../../scripts/cli/errors.js";
import { createOutput } from "../../scripts/cli/output.js";
import { lineageTree, type LineageAnswer } from "../../scripts/cli/commands/regulator.js";
import { readRows, splitCsvLine } from "../../scripts/cli/submit/readRows.js";

const KEY = "0x" + "2a".repeat(32);
const USCC = completeUscc("91350100M000100Y4");

describe("credtrail CLI parts", () => {
  it("splits CSV lines with quotes and doubled quotes", () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",')).to.deep.equal(["a", "b,c", 'say "hi"', ""]);
    expect(() => splitCsvLine('a,"b')).to.throw(/not closed/);
  });

  it("reads rows: subject from the USCC, typed cells, times, severity from the schema", () => {
    const { rows, problems } = readRows(
      `uscc,periodStart,periodEnd,taxType,taxPaid,arrears,arrearsAmount,observedAt,expiresAt\n${USCC},2026-01-01,2026-01-31,vat,12.5,true,3,2026-02-01,1900000000\n`,
      {
        format: "csv",
        definition: SCHEMAS["tax.payment"],
        consortiumKey: KEY,
        defaultObservedAt: 1n,
      },
    );
    expect(problems).to.deep.equal([]);
    expect(rows[0].subject).to.equal(subjectId(KEY, USCC));
    expect(rows[0].record).to.include({ taxPaid: 12.5, arrears: true, arrearsAmount: 3 });
    expect(rows[0].observedAt).to.equal(BigInt(Date.parse("2026-02-01T00:00:00Z") / 1000));
    expect(rows[0].expiresAt).to.equal(1_900_000_000n);
    expect(rows[0].severity).to.equal(2); // arrears: general
  });

  it("refuses a row that gives subject itself, or expires before it is observed", () => {
    const { problems } = readRows(
      [
        JSON.stringify({ uscc: USCC, subject: "0x" + "00".repeat(32), year: 2025, grade: "A" }),
        JSON.stringify({ uscc: USCC, year: 2025, grade: "A", observedAt: 10, expiresAt: 5 }),
      ].join("\n"),
      {
        format: "ndjson",
        definition: SCHEMAS["tax.grade"],
        consortiumKey: KEY,
        defaultObservedAt: 1n,
      },
    );
    expect(problems.map((p) => p.line)).to.deep.equal([1, 2]);
    expect(problems[0].problem).to.match(/must not give subject/);
    expect(problems[1].problem).to.match(/expiresAt must be after observedAt/);
  });

  it("draws lineage as a tree, inputs or dependents, marking a node met twice", () => {
    const node = (uid: string, schema = "0x01") => ({
      uid,
      depth: 0,
      state: "ACTIVE",
      provider: { name: "P" },
      attestation: { schema, category: null },
    });
    const answer: LineageAnswer = {
      root: "0xa",
      direction: "INPUTS",
      nodes: [node("0xa"), node("0xb"), node("0xc"), node("0xd")],
      edges: [
        { derived: "0xa", input: "0xb" },
        { derived: "0xa", input: "0xc" },
        { derived: "0xb", input: "0xd" },
        { derived: "0xc", input: "0xd" },
      ],
      truncated: true,
    };
    expect(lineageTree(answer)).to.deep.equal([
      "0xa 0x01 active (P)",
      "├── 0xb 0x01 active (P)",
      "│   └── 0xd 0x01 active (P)",
      "└── 0xc 0x01 active (P)",
      "    └── 0xd 0x01 active (P)",
      "… truncated at the depth limit (raise --depth)",
    ]);
    const up = lineageTree({ ...answer, root: "0xd", direction: "DEPENDENTS", truncated: false });
    expect(up[0]).to.equal("0xd 0x01 active (P)");
    expect(up).to.have.length(5);
  });

  it("draws a progress bar only when asked (or on a terminal)", () => {
    let err = "";
    const streams = {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (err += t) },
    };
    const bar = createOutput(streams, { json: false, progress: true }).progress("rows", 4);
    bar.tick(2);
    bar.done();
    expect(err).to.match(/rows \[#{15}\.{15}\] 50% 2\/4/);
    expect(err).to.match(/100% 4\/4\n$/);
    err = "";
    createOutput(streams, { json: false }).progress("rows", 4).tick(1);
    expect(err).to.equal("");
  });

  it("maps errors to one line and an exit code", () => {
    expect(describeError(new CliError("bad flag"))).to.deep.equal({
      line: "bad flag",
      exitCode: ExitCode.USAGE,
    });
    expect(describeError(new CliError("refused", ExitCode.FAILED, "FORBIDDEN")).line).to.equal(
      "refused (FORBIDDEN)",
    );
    expect(describeError(new ValidationError("HEX_INVALID", "not hex")).exitCode).to.equal(
      ExitCode.USAGE,
    );
    expect(
      describeError(new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'"))
        .line,
    ).to.equal("unknown option '--x'");
    const refused = Object.assign(new Error("fetch failed"), {
      cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
    });
    expect(describeError(refused).exitCode).to.equal(ExitCode.UNAVAILABLE);
    expect(describeError(new Error("boom"))).to.deep.equal({
      line: "internal error: boom",
      exitCode: ExitCode.INTERNAL,
    });
  });
});
