import { expect } from "chai";
import fc from "fast-check";

import {
  completeUscc,
  ErrorCode,
  isValidUscc,
  normalizeUscc,
  parseUsccParts,
  USCC_CHARSET,
  USCC_WEIGHTS,
  UsccError,
  usccCheckCharacter,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const charsetChar = fc.constantFrom(...Array.from(USCC_CHARSET));
const prefix17 = fc.array(charsetChar, { minLength: 17, maxLength: 17 }).map((a) => a.join(""));

describe("core/uscc", () => {
  it("uses the GB 32100-2015 charset and weights (3^i mod 31)", () => {
    expect(USCC_CHARSET).to.equal("0123456789ABCDEFGHJKLMNPQRTUWXY");
    expect(USCC_CHARSET).to.have.length(31);
    expect(USCC_WEIGHTS).to.deep.equal([
      1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ]);
    USCC_WEIGHTS.forEach((w, i) => expect(w).to.equal(Number(3n ** BigInt(i) % 31n)));
  });

  it("accepts the real-world code 91350100M000100Y43", () => {
    // Σ = 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + M(21)·20 + 1·8 + Y(30)·30 + 4·28 = 1640; 1640 mod 31 = 28; 31 − 28 = 3
    expect(normalizeUscc("91350100M000100Y43")).to.equal("91350100M000100Y43");
    expect(usccCheckCharacter("91350100M000100Y4")).to.equal("3");
    expect(isValidUscc("91350100M000100Y43")).to.equal(true);
  });

  it("maps check value 31 to 0 and 30 to Y", () => {
    // 17 zeros: Σ = 0 → 31 − 0 = 31 → 0
    expect(completeUscc("00000000000000000")).to.equal("000000000000000000");
    // "1" then zeros: Σ = 1 → 30 → Y
    expect(completeUscc("10000000000000000")).to.equal("10000000000000000Y");
    // last position weight 28 with value 1: Σ = 28 → 3
    expect(completeUscc("00000000000000001")).to.equal("000000000000000013");
  });

  it("trims and upper-cases", () => {
    expect(normalizeUscc("  91350100m000100y43\t\n")).to.equal("91350100M000100Y43");
    expect(isValidUscc(" 91350100m000100y43 ")).to.equal(true);
  });

  describe("errors", () => {
    it("USCC_LENGTH", () => {
      for (const input of ["", "   ", "91350100M000100Y4", "91350100M000100Y433"]) {
        const error = expectCode(() => normalizeUscc(input), ErrorCode.USCC_LENGTH, UsccError);
        expect(error.details?.expected).to.equal(18);
        expect(error.message).to.match(/18 characters/);
      }
      expectCode(() => normalizeUscc(42 as unknown as string), ErrorCode.USCC_LENGTH);
      expectCode(() => usccCheckCharacter("9135"), ErrorCode.USCC_LENGTH);
    });

    it("USCC_CHARACTER names position and character", () => {
      const cases: [string, number, string][] = [
        ["91350100O000100Y43", 9, "O"],
        ["I1350100M000100Y43", 1, "I"],
        ["91350100M000100Y4Z", 18, "Z"],
        ["91350100M00010 Y43", 15, " "],
        ["９1350100M000100Y43", 1, "９"],
        ["91350100M000100Y4-", 18, "-"],
      ];
      for (const [input, position, character] of cases) {
        const error = expectCode(() => normalizeUscc(input), ErrorCode.USCC_CHARACTER, UsccError);
        expect(error.details).to.include({ position, character });
        expect(error.message).to.include(`position ${position}`);
      }
      // counted by code point: an astral character is one position
      expect(
        expectCode(() => normalizeUscc("91350100😀000100Y43"), ErrorCode.USCC_CHARACTER).details
          ?.position,
      ).to.equal(9);
      expectCode(() => completeUscc("91350100M000100S4"), ErrorCode.USCC_CHARACTER);
    });

    it("USCC_CHECK_CHARACTER says expected and given", () => {
      const error = expectCode(
        () => normalizeUscc("91350100M000100Y44"),
        ErrorCode.USCC_CHECK_CHARACTER,
        UsccError,
      );
      expect(error.details).to.deep.equal({ expected: "3", given: "4" });
      expect(error.message).to.include("'3'").and.include("'4'");
      expect(isValidUscc("91350100M000100Y44")).to.equal(false);
    });
  });

  it("parseUsccParts splits by position", () => {
    expect(parseUsccParts("91350100m000100y43")).to.deep.equal({
      uscc: "91350100M000100Y43",
      registrationAuthority: "9",
      registrationAuthorityName: "market regulation (市场监管)",
      entityType: "1",
      divisionCode: "350100",
      organisationCode: "M000100Y4",
      checkCharacter: "3",
    });
    const other = parseUsccParts(completeUscc("B1440300MA5DC1234"));
    expect(other.registrationAuthorityName).to.equal(undefined);
    expect(other.divisionCode).to.equal("440300");
    expectCode(() => parseUsccParts("91350100M000100Y44"), ErrorCode.USCC_CHECK_CHARACTER);
  });

  describe("properties", () => {
    it("any 17 charset characters plus the computed check character is valid", () => {
      fc.assert(
        fc.property(prefix17, (p) => {
          const code = completeUscc(p);
          expect(code.slice(0, 17)).to.equal(p);
          expect(code[17]).to.equal(usccCheckCharacter(p));
          expect(normalizeUscc(code)).to.equal(code);
          expect(normalizeUscc(` ${code.toLowerCase()} `)).to.equal(code);
          const parts = parseUsccParts(code);
          expect(
            parts.registrationAuthority +
              parts.entityType +
              parts.divisionCode +
              parts.organisationCode +
              parts.checkCharacter,
          ).to.equal(code);
        }),
        { numRuns: 500 },
      );
    });

    it("changing any one character to another charset character is detected", () => {
      fc.assert(
        fc.property(prefix17, fc.nat(17), fc.integer({ min: 1, max: 30 }), (p, position, delta) => {
          const code = completeUscc(p);
          const replaced = USCC_CHARSET[(USCC_CHARSET.indexOf(code[position]) + delta) % 31];
          const changed = code.slice(0, position) + replaced + code.slice(position + 1);
          expect(isValidUscc(changed)).to.equal(false);
          expectCode(() => normalizeUscc(changed), ErrorCode.USCC_CHECK_CHARACTER);
        }),
        { numRuns: 1000 },
      );
    });

    it("a character outside the charset is named by position", () => {
      const outside = fc.constantFrom("I", "O", "S", "V", "Z", "!", "*", "中", "#");
      fc.assert(
        fc.property(prefix17, fc.nat(17), outside, (p, position, bad) => {
          const code = completeUscc(p);
          const changed = code.slice(0, position) + bad + code.slice(position + 1);
          const error = expectCode(() => normalizeUscc(changed), ErrorCode.USCC_CHARACTER);
          expect(error.details?.position).to.equal(position + 1);
        }),
        { numRuns: 300 },
      );
    });
  });
});
