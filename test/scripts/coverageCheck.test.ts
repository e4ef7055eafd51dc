import { expect } from "chai";

import {
  check,
  formatRanges,
  isOurContract,
  parseArgs,
  parseLcov,
  type FileCoverage,
} from "../../scripts/coverage-check.js";

function file(name: string, lines: [number, number], statements: [number, number]): FileCoverage {
  return {
    file: name,
    linesHit: lines[0],
    linesFound: lines[1],
    statementsHit: statements[0],
    statementsFound: statements[1],
    uncoveredLines: [],
  };
}

describe("scripts/coverage-check", () => {
  it("measures our contracts only", () => {
    expect(isOurContract("contracts/CreditRegistry.sol")).to.equal(true);
    expect(isOurContract("contracts/libraries/Roles.sol")).to.equal(true);
    expect(isOurContract("contracts/test/MockReceiver.sol")).to.equal(false);
    expect(isOurContract("contracts/Registry.t.sol")).to.equal(false);
    expect(
      isOurContract("node_modules/@ethereum-attestation-service/eas-contracts/EAS.sol"),
    ).to.equal(false);
    expect(isOurContract("contracts/node_modules/x/Y.sol")).to.equal(false);
    expect(isOurContract("test/Foo.sol")).to.equal(false);
  });

  it("reads lcov line records", () => {
    const lcov = [
      "TN:",
      "SF:contracts/A.sol",
      "DA:3,1",
      "DA:4,0",
      "DA:9,2",
      "LH:2",
      "LF:3",
      "end_of_record",
      "SF:contracts/B.sol",
      "DA:1,0",
      "end_of_record",
    ].join("\n");
    const files = parseLcov(lcov);
    expect([...files.keys()]).to.deep.equal(["contracts/A.sol", "contracts/B.sol"]);
    expect([...(files.get("contracts/A.sol")?.lines ?? [])]).to.deep.equal([
      [3, true],
      [4, false],
      [9, true],
    ]);
  });

  it("prints line ranges", () => {
    expect(formatRanges([9, 3, 4, 5, 12, 13])).to.equal("3-5, 9, 12-13");
    expect(formatRanges([])).to.equal("");
    expect(formatRanges([1, 3, 5, 7, 9], 8)).to.equal("1, 3, …");
  });

  it("fails on no contracts rather than passing vacuously", () => {
    const result = check([], { min: 95, perFile: false });
    expect(result.ok).to.equal(false);
    expect(result.failures[0]).to.match(/no statements to measure/);
  });

  it("gates the totals of lines and statements", () => {
    const files = [
      file("contracts/A.sol", [95, 100], [96, 100]),
      file("contracts/B.sol", [10, 10], [9, 10]),
    ];
    expect(check(files, { min: 95, perFile: false }).ok).to.equal(true);

    const low = check([file("contracts/A.sol", [95, 100], [94, 100])], { min: 95, perFile: false });
    expect(low.ok).to.equal(false);
    expect(low.failures).to.deep.equal(["total statement coverage: 94.00% (94/100) is below 95%"]);
  });

  it("gates each file with --per-file", () => {
    const files = [
      file("contracts/A.sol", [100, 100], [100, 100]),
      file("contracts/B.sol", [9, 10], [9, 10]),
    ];
    expect(check(files, { min: 90, perFile: false }).ok).to.equal(true);
    const result = check(files, { min: 95, perFile: true });
    expect(result.failures).to.include("contracts/B.sol line coverage: 90.00% (9/10) is below 95%");
  });

  it("takes the minimum as a plain number or --min", () => {
    expect(parseArgs([])).to.deep.equal({ min: 95, perFile: false });
    expect(parseArgs(["90"])).to.deep.equal({ min: 90, perFile: false });
    expect(parseArgs(["--min", "80", "--per-file"])).to.deep.equal({ min: 80, perFile: true });
    expect(parseArgs(["--min=99.5"])).to.deep.equal({ min: 99.5, perFile: false });
    expect(() => parseArgs(["--bogus"])).to.throw(/unknown argument/);
    expect(() => parseArgs(["101"])).to.throw(/between 0 and 100/);
  });
});
