/**
 * The Unified Social Credit Code (统一社会信用代码), GB 32100-2015: 18 characters from a
 * 31-character set, the last a weighted mod-31 check character over the first 17.
 *
 * Raw USCCs never leave the data provider: they are turned into subject ids (see subjectId.ts)
 * before anything is hashed or attested.
 */
import { ErrorCode, UsccError } from "./errors.js";

/** The 31 characters of a USCC, valued 0…30 in this order (no I, O, S, V, Z). */
export const USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/** Weights of positions 1–17 (3^i mod 31). */
export const USCC_WEIGHTS: readonly number[] = [
  1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

export const USCC_LENGTH = 18;

/** Registration authority codes (position 1) from GB 32100-2015, appendix A. */
export const USCC_REGISTRATION_AUTHORITIES: Readonly<Partial<Record<string, string>>> = {
  "1": "organisation bodies (机构编制)",
  "2": "foreign affairs (外交)",
  "3": "judicial administration (司法行政)",
  "4": "culture (文化)",
  "5": "civil affairs (民政)",
  "6": "tourism (旅游)",
  "7": "religious affairs (宗教)",
  "8": "trade unions (工会)",
  "9": "market regulation (市场监管)",
  A: "Central Military Commission (中央军委改革和编制办公室)",
  N: "agriculture (农业)",
  Y: "other (其他)",
};

const VALUE: ReadonlyMap<string, number> = new Map(Array.from(USCC_CHARSET, (c, i) => [c, i]));

/** The parts of a USCC, by position. */
export interface UsccParts {
  /** The normalised code. */
  uscc: string;
  /** Position 1, e.g. "9" (market regulation). */
  registrationAuthority: string;
  /** Name of the registration authority, when the code is one GB 32100 defines. */
  registrationAuthorityName?: string;
  /** Position 2: entity type within that authority, e.g. "1" (enterprise). */
  entityType: string;
  /** Positions 3–8: administrative division code, e.g. "440300" (Shenzhen). */
  divisionCode: string;
  /** Positions 9–17: organisation code (GB 11714). */
  organisationCode: string;
  /** Position 18. */
  checkCharacter: string;
}

function show(character: string): string {
  return /^[\x21-\x7e]$/.test(character) ? `'${character}'` : JSON.stringify(character);
}

/** Trims and upper-cases, then checks the length and that every character is in the charset. */
function normaliseCharacters(input: string, length: number, what: string): string {
  if (typeof input !== "string") {
    throw new UsccError(ErrorCode.USCC_LENGTH, `${what} must be a string of ${length} characters`, {
      details: { expected: length },
    });
  }
  const code = input.trim().toUpperCase();
  const characters = Array.from(code); // code points, so an astral character is one position
  if (characters.length !== length) {
    throw new UsccError(
      ErrorCode.USCC_LENGTH,
      `${what} must have ${length} characters, got ${characters.length}`,
      { details: { expected: length, actual: characters.length } },
    );
  }
  characters.forEach((character, i) => {
    if (!VALUE.has(character)) {
      throw new UsccError(
        ErrorCode.USCC_CHARACTER,
        `${what} has invalid character ${show(character)} at position ${i + 1}`,
        { details: { position: i + 1, character, allowed: USCC_CHARSET } },
      );
    }
  });
  return code;
}

function checkValue(first17: string): number {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (VALUE.get(first17[i]) as number) * USCC_WEIGHTS[i];
  return (31 - (sum % 31)) % 31;
}

/** The check character (position 18) for the first 17 characters of a USCC. */
export function usccCheckCharacter(first17: string): string {
  const code = normaliseCharacters(first17, 17, "USCC prefix");
  return USCC_CHARSET[checkValue(code)];
}

/** The full USCC for 17 given characters (used to generate demo and test data). */
export function completeUscc(first17: string): string {
  const code = normaliseCharacters(first17, 17, "USCC prefix");
  return code + USCC_CHARSET[checkValue(code)];
}

/**
 * Trims and upper-cases `input` and checks it against GB 32100-2015; returns the normalised code.
 * Throws UsccError USCC_LENGTH, USCC_CHARACTER (naming position and character) or
 * USCC_CHECK_CHARACTER (naming the expected and the given check character).
 */
export function normalizeUscc(input: string): string {
  const code = normaliseCharacters(input, USCC_LENGTH, "USCC");
  const expected = USCC_CHARSET[checkValue(code)];
  const given = code[17];
  if (given !== expected) {
    throw new UsccError(
      ErrorCode.USCC_CHECK_CHARACTER,
      `USCC check character should be '${expected}', got '${given}'`,
      {
        details: { expected, given },
      },
    );
  }
  return code;
}

/** Whether `input` is a valid USCC (after trimming and upper-casing). */
export function isValidUscc(input: string): boolean {
  try {
    normalizeUscc(input);
    return true;
  } catch (error) {
    if (error instanceof UsccError) return false;
    throw error;
  }
}

/** Splits a valid USCC into its parts (validates first). */
export function parseUsccParts(uscc: string): UsccParts {
  const code = normalizeUscc(uscc);
  const parts: UsccParts = {
    uscc: code,
    registrationAuthority: code[0],
    entityType: code[1],
    divisionCode: code.slice(2, 8),
    organisationCode: code.slice(8, 17),
    checkCharacter: code[17],
  };
  const name = USCC_REGISTRATION_AUTHORITIES[code[0]];
  if (name !== undefined) parts.registrationAuthorityName = name;
  return parts;
}
