import { expect } from "chai";

import {
  ErrorCode,
  Severity,
  SEVERITY_NAMES,
  severityFromName,
  severityName,
  toSeverity,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

describe("core/severity", () => {
  it("matches ICreditRegistry.Severity", () => {
    expect(Severity).to.deep.equal({ None: 0, Minor: 1, General: 2, Serious: 3 });
    expect(SEVERITY_NAMES).to.deep.equal(["None", "Minor", "General", "Serious"]);
  });

  it("converts names and values", () => {
    expect(severityName(3)).to.equal("Serious");
    expect(severityFromName("general")).to.equal(Severity.General);
    expect(severityFromName(" Minor ")).to.equal(Severity.Minor);
    expect(toSeverity(0)).to.equal(Severity.None);
  });

  it("SEVERITY_INVALID", () => {
    for (const v of [4, -1, 1.5, "1", null])
      expectCode(() => toSeverity(v), ErrorCode.SEVERITY_INVALID);
    expectCode(() => severityName(9), ErrorCode.SEVERITY_INVALID);
    expectCode(() => severityFromName("critical"), ErrorCode.SEVERITY_INVALID);
  });
});
