import { createHmac } from "node:crypto";

import { expect } from "chai";
import fc from "fast-check";

import {
  completeUscc,
  consortiumKeyBytes,
  ErrorCode,
  subjectId,
  USCC_CHARSET,
  ValidationError,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const KEY = `0x${"a5".repeat(32)}` as const;

function nodeHmac(keyHex: string, uscc: string): string {
  return `0x${createHmac("sha256", Buffer.from(keyHex.slice(2), "hex"))
    .update(uscc, "utf8")
    .digest("hex")}`;
}

describe("core/subjectId", () => {
  it("is HMAC-SHA256(key, USCC) — checked against node:crypto", () => {
    expect(subjectId(KEY, "91350100M000100Y43")).to.equal(nodeHmac(KEY, "91350100M000100Y43"));
  });

  it("normalises the USCC first", () => {
    expect(subjectId(KEY, " 91350100m000100y43 ")).to.equal(subjectId(KEY, "91350100M000100Y43"));
  });

  it("accepts bytes and longer keys, and different keys give different ids", () => {
    const bytes = new Uint8Array(32).fill(0xa5);
    expect(subjectId(bytes, "91350100M000100Y43")).to.equal(subjectId(KEY, "91350100M000100Y43"));
    const long = `0x${"11".repeat(64)}`;
    expect(subjectId(long, "91350100M000100Y43")).to.equal(nodeHmac(long, "91350100M000100Y43"));
    expect(subjectId(long, "91350100M000100Y43")).not.to.equal(
      subjectId(KEY, "91350100M000100Y43"),
    );
  });

  it("returns lowercase 32-byte hex", () => {
    expect(subjectId(KEY, "91350100M000100Y43")).to.match(/^0x[0-9a-f]{64}$/);
  });

  describe("KEY_INVALID", () => {
    const bad: [string, string | Uint8Array][] = [
      ["31 bytes", `0x${"ab".repeat(31)}`],
      ["empty", "0x"],
      ["not hex", "0xzz".padEnd(66, "z")],
      ["odd length", `0x${"a".repeat(65)}`],
      ["no 0x prefix", "ab".repeat(32)],
      ["all zero", `0x${"00".repeat(32)}`],
      ["short bytes", new Uint8Array(16).fill(1)],
    ];
    for (const [name, key] of bad) {
      it(name, () => {
        expectCode(
          () => subjectId(key, "91350100M000100Y43"),
          ErrorCode.KEY_INVALID,
          ValidationError,
        );
      });
    }
    it("consortiumKeyBytes returns the bytes", () => {
      expect(consortiumKeyBytes(KEY)).to.have.length(32);
    });
  });

  it("rejects an invalid USCC with its USCC code", () => {
    expectCode(() => subjectId(KEY, "91350100M000100Y44"), ErrorCode.USCC_CHECK_CHARACTER);
  });

  it("property: equals node:crypto HMAC for any valid USCC and key", () => {
    const prefix = fc
      .array(fc.constantFrom(...Array.from(USCC_CHARSET)), { minLength: 17, maxLength: 17 })
      .map((a) => a.join(""));
    const key = fc
      .uint8Array({ minLength: 32, maxLength: 80 })
      .filter((k) => k.some((b) => b !== 0));
    fc.assert(
      fc.property(prefix, key, (p, k) => {
        const uscc = completeUscc(p);
        const hex = `0x${Buffer.from(k).toString("hex")}`;
        expect(subjectId(k, uscc)).to.equal(nodeHmac(hex, uscc));
      }),
      { numRuns: 300 },
    );
  });
});
