import { expect } from "chai";

import {
  ConflictError,
  CredtrailError,
  ErrorCode,
  ForbiddenError,
  LedgerError,
  NotFoundError,
  UnauthorizedError,
  UsccError,
  ValidationError,
  isCredtrailError,
} from "../../core/index.js";

describe("core/errors", () => {
  it("carries code, message, details and cause", () => {
    const cause = new Error("low level");
    const error = new ValidationError(ErrorCode.RECORD_INVALID, "bad record", {
      details: { field: "x" },
      cause,
    });
    expect(error)
      .to.be.instanceOf(Error)
      .and.instanceOf(CredtrailError)
      .and.instanceOf(ValidationError);
    expect(error.name).to.equal("ValidationError");
    expect(error.code).to.equal("RECORD_INVALID");
    expect(error.message).to.equal("bad record");
    expect(error.details).to.deep.equal({ field: "x" });
    expect(error.cause).to.equal(cause);
    expect(error.toJSON()).to.deep.equal({
      name: "ValidationError",
      code: "RECORD_INVALID",
      message: "bad record",
      details: { field: "x" },
    });
  });

  it("leaves details and cause out when not given", () => {
    const error = new CredtrailError("X", "m");
    expect(error.details).to.equal(undefined);
    expect("cause" in error).to.equal(false);
    expect(error.toJSON()).to.deep.equal({ name: "CredtrailError", code: "X", message: "m" });
  });

  it("UsccError is a ValidationError", () => {
    const error = new UsccError(ErrorCode.USCC_LENGTH, "too short");
    expect(error).to.be.instanceOf(ValidationError);
    expect(error.name).to.equal("UsccError");
  });

  it("subclasses default their codes and accept another", () => {
    const cases: [CredtrailError, string, string][] = [
      [new NotFoundError("m"), "NOT_FOUND", "NotFoundError"],
      [new UnauthorizedError("m"), "UNAUTHORIZED", "UnauthorizedError"],
      [new ForbiddenError("m"), "FORBIDDEN", "ForbiddenError"],
      [new ConflictError("m"), "CONFLICT", "ConflictError"],
      [new LedgerError("m"), "LEDGER_ERROR", "LedgerError"],
    ];
    for (const [error, code, name] of cases) {
      expect(error.code).to.equal(code);
      expect(error.name).to.equal(name);
    }
    expect(new NotFoundError("m", { code: ErrorCode.SCHEMA_UNKNOWN }).code).to.equal(
      "SCHEMA_UNKNOWN",
    );
  });

  it("isCredtrailError checks class and code", () => {
    const error = new ConflictError("m");
    expect(isCredtrailError(error)).to.equal(true);
    expect(isCredtrailError(error, "CONFLICT")).to.equal(true);
    expect(isCredtrailError(error, "NOT_FOUND")).to.equal(false);
    expect(isCredtrailError(new Error("m"))).to.equal(false);
  });

  it("every ErrorCode value is its own UPPER_SNAKE key", () => {
    for (const [key, value] of Object.entries(ErrorCode)) {
      expect(value).to.equal(key);
      expect(value).to.match(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    }
  });
});
