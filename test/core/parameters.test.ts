import { expect } from "chai";
import { encodeBytes32String } from "ethers";

import {
  checkParameterValue,
  DAY_SECONDS,
  ErrorCode,
  isParameterName,
  MAX_PARAMETER_SECONDS,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  parameterKey,
  parameterName,
  repairPeriodParameter,
  Severity,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

describe("core/parameters", () => {
  it("names are bytes32 strings (left-aligned UTF-8, zero padded)", () => {
    expect(PARAMETER_KEYS.disputePeriod).to.equal(
      `0x${Buffer.from("disputePeriod").toString("hex").padEnd(64, "0")}`,
    );
    for (const name of PARAMETER_NAMES) {
      expect(PARAMETER_KEYS[name]).to.equal(encodeBytes32String(name));
      expect(parameterKey(name)).to.equal(PARAMETER_KEYS[name]);
      expect(parameterName(PARAMETER_KEYS[name])).to.equal(name);
    }
  });

  it("defaults follow DOMAIN.md", () => {
    expect(PARAMETER_DEFAULTS).to.deep.equal({
      disputePeriod: 20n * 86_400n,
      "repairPeriod.minor": 0n,
      "repairPeriod.general": 90n * 86_400n,
      "repairPeriod.serious": 365n * 86_400n,
      votingPeriod: 7n * 86_400n,
    });
  });

  it("maps severities to repair-period parameters", () => {
    expect(repairPeriodParameter(Severity.Minor)).to.equal("repairPeriod.minor");
    expect(repairPeriodParameter(Severity.General)).to.equal("repairPeriod.general");
    expect(repairPeriodParameter(Severity.Serious)).to.equal("repairPeriod.serious");
    expectCode(() => repairPeriodParameter(Severity.None), ErrorCode.SEVERITY_INVALID);
  });

  it("checks values as the consortium does", () => {
    expect(checkParameterValue("repairPeriod.minor", 0)).to.equal(0n);
    expect(checkParameterValue("disputePeriod", 3600)).to.equal(3600n);
    expect(checkParameterValue("votingPeriod", MAX_PARAMETER_SECONDS)).to.equal(
      3650n * DAY_SECONDS,
    );
    expectCode(() => checkParameterValue("disputePeriod", 3599), ErrorCode.PARAMETER_INVALID);
    expectCode(() => checkParameterValue("votingPeriod", 0), ErrorCode.PARAMETER_INVALID);
    expectCode(
      () => checkParameterValue("repairPeriod.serious", MAX_PARAMETER_SECONDS + 1n),
      ErrorCode.PARAMETER_INVALID,
    );
    expectCode(() => checkParameterValue("repairPeriod.general", -1), ErrorCode.PARAMETER_INVALID);
    expectCode(() => checkParameterValue("quorum", 1), ErrorCode.PARAMETER_INVALID);
  });

  it("PARAMETER_INVALID for unknown names and keys", () => {
    expect(isParameterName("votingPeriod")).to.equal(true);
    expect(isParameterName("VotingPeriod")).to.equal(false);
    expectCode(() => parameterKey("repairPeriod"), ErrorCode.PARAMETER_INVALID);
    expectCode(
      () => parameterName(encodeBytes32String("repairPeriod")),
      ErrorCode.PARAMETER_INVALID,
    );
    // a key without a zero terminator is no bytes32 string
    expectCode(() => parameterName(`0x${"61".repeat(32)}`), ErrorCode.PARAMETER_INVALID);
    // trailing bytes after the terminator make another key
    expectCode(
      () => parameterName(`${PARAMETER_KEYS.disputePeriod.slice(0, 64)}ff`),
      ErrorCode.PARAMETER_INVALID,
    );
    expectCode(() => parameterName("0x1234"), ErrorCode.HEX_INVALID);
  });
});
