import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import {
  checkRecordFields,
  ErrorCode,
  MAX_TIMESTAMP,
  normalizeAttestationRequest,
  ZERO_BYTES32,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const h = (s: string) => keccak256(toUtf8Bytes(s));
const REQUEST = {
  schema: h("schema"),
  subject: h("subject"),
  dataHash: h("data"),
  observedAt: 1_735_689_600,
  expiresAt: 0,
  severity: 1,
};

describe("core/attestationRequest", () => {
  it("normalises a valid request", () => {
    const upper = `0x${h("schema").slice(2).toUpperCase()}`;
    expect(normalizeAttestationRequest({ ...REQUEST, schema: upper })).to.deep.equal({
      schema: h("schema"),
      subject: h("subject"),
      dataHash: h("data"),
      observedAt: 1_735_689_600n,
      expiresAt: 0n,
      severity: 1,
    });
    expect(
      normalizeAttestationRequest({ ...REQUEST, expiresAt: MAX_TIMESTAMP }).expiresAt,
    ).to.equal(MAX_TIMESTAMP);
  });

  it("ATTESTATION_INVALID naming the field, with the field's error as cause", () => {
    const cases: [Partial<typeof REQUEST> | Record<string, unknown>, string][] = [
      [{ schema: ZERO_BYTES32 }, "schema"],
      [{ subject: ZERO_BYTES32 }, "subject"],
      [{ dataHash: "0x12" }, "dataHash"],
      [{ observedAt: 0 }, "observedAt"],
      [{ observedAt: Number(MAX_TIMESTAMP) + 1 }, "observedAt"],
      [{ observedAt: -5 }, "observedAt"],
      [{ expiresAt: 1_735_689_600 }, "expiresAt"],
      [{ expiresAt: 1_000 }, "expiresAt"],
      [{ expiresAt: MAX_TIMESTAMP + 1n }, "expiresAt"],
    ];
    for (const [override, field] of cases) {
      const error = expectCode(
        () => normalizeAttestationRequest({ ...REQUEST, ...override }),
        ErrorCode.ATTESTATION_INVALID,
      );
      expect(
        error.details?.field,
        JSON.stringify(override, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
      ).to.equal(field);
    }
    expectCode(
      () => normalizeAttestationRequest({ ...REQUEST, severity: 4 }),
      ErrorCode.ATTESTATION_INVALID,
    );
  });

  it("checkRecordFields throws the field's own code", () => {
    expectCode(
      () => checkRecordFields({ ...REQUEST, subject: ZERO_BYTES32 }),
      ErrorCode.HEX_INVALID,
    );
    expectCode(() => checkRecordFields({ ...REQUEST, severity: 7 }), ErrorCode.SEVERITY_INVALID);
    expectCode(
      () => checkRecordFields({ ...REQUEST, observedAt: 0 }),
      ErrorCode.ATTESTATION_INVALID,
    );
  });
});
