import { expect } from "chai";

import {
  ErrorCode,
  isBytes32,
  toAddress,
  toBytes32,
  toHexBytes,
  toNonZeroBytes32,
  toSmallUint,
  toUint,
  toUint64,
  UINT64_MAX,
  ZERO_BYTES32,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

describe("core/abiValues", () => {
  it("bytes32: lowercases, rejects wrong lengths, non-hex and zero where asked", () => {
    const upper = `0x${"AB".repeat(32)}`;
    expect(isBytes32(upper)).to.equal(true);
    expect(toBytes32(upper, "x")).to.equal(upper.toLowerCase());
    expect(toBytes32(ZERO_BYTES32, "x")).to.equal(ZERO_BYTES32);
    for (const bad of [
      "0x",
      "0x12",
      `${upper}00`,
      upper.slice(2),
      `0X${"ab".repeat(32)}`,
      12,
      null,
    ]) {
      expect(
        expectCode(() => toBytes32(bad, "field"), ErrorCode.HEX_INVALID).details?.field,
      ).to.equal("field");
    }
    expectCode(() => toNonZeroBytes32(ZERO_BYTES32, "subject"), ErrorCode.HEX_INVALID);
  });

  it("hex bytes: whole bytes only", () => {
    expect(toHexBytes("0xABcd", "p")).to.equal("0xabcd");
    expect(toHexBytes("0x", "p")).to.equal("0x");
    expectCode(() => toHexBytes("0xabc", "p"), ErrorCode.HEX_INVALID);
    expectCode(() => toHexBytes("abcd", "p"), ErrorCode.HEX_INVALID);
  });

  it("addresses: checksummed, bad checksums rejected", () => {
    const lower = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf";
    expect(toAddress(lower, "key")).to.equal("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    expect(toAddress(lower.toUpperCase().replace("0X", "0x"), "key")).to.equal(
      "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
    );
    expectCode(
      () => toAddress("0x7E5F4552091A69125d5DfCb7b8C2659029395BDF", "key"),
      ErrorCode.ADDRESS_INVALID,
    );
    expectCode(() => toAddress("0x1234", "key"), ErrorCode.ADDRESS_INVALID);
    expectCode(() => toAddress(undefined, "key"), ErrorCode.ADDRESS_INVALID);
  });

  it("unsigned integers: bigint or safe number in range", () => {
    expect(toUint64(0, "t")).to.equal(0n);
    expect(toUint64(UINT64_MAX, "t")).to.equal(UINT64_MAX);
    expect(toUint(255, 8, "b")).to.equal(255n);
    expect(toSmallUint(4_294_967_295, 32, "n")).to.equal(4_294_967_295);
    for (const bad of [
      -1,
      UINT64_MAX + 1n,
      0.5,
      Number.MAX_SAFE_INTEGER + 1,
      "5",
      null,
      Number.POSITIVE_INFINITY,
    ]) {
      expectCode(() => toUint64(bad, "t"), ErrorCode.INTEGER_INVALID);
    }
    expectCode(() => toUint(256, 8, "b"), ErrorCode.INTEGER_INVALID);
  });
});
