/** Small shared parsers: uids, subjects (USCC or id), reason texts as hashes. */
import { keccak256, toUtf8Bytes } from "ethers";

import { isBytes32, normalizeUscc, subjectId, type Hex } from "../../core/index.js";
import type { CliContext } from "./context.js";
import { CliError } from "./errors.js";

export function uidArg(value: string, what = "uid"): Hex {
  if (!isBytes32(value))
    throw new CliError(`${what} ${value} is not a bytes32 (0x and 64 hex digits)`);
  return value.toLowerCase() as Hex;
}

/** A free text (reason, evidence, decision) as the bytes32 the ledger keeps: keccak256 of it, or a given bytes32. */
export function textHash(value: string): Hex {
  return isBytes32(value) ? (value.toLowerCase() as Hex) : (keccak256(toUtf8Bytes(value)) as Hex);
}

/** The subject of --uscc (pseudonymised with CREDTRAIL_CONSORTIUM_KEY) or --subject. */
export function subjectOf(ctx: CliContext, o: { uscc?: string; subject?: string }): Hex {
  if ((o.uscc === undefined) === (o.subject === undefined))
    throw new CliError("give exactly one of --uscc and --subject");
  if (o.subject !== undefined) return uidArg(o.subject, "--subject");
  const key = ctx.env.CREDTRAIL_CONSORTIUM_KEY;
  if (key === undefined || key === "")
    throw new CliError("--uscc needs CREDTRAIL_CONSORTIUM_KEY (or give --subject)");
  let code: string;
  try {
    code = normalizeUscc(o.uscc ?? "");
  } catch (error) {
    throw new CliError(`--uscc ${o.uscc}: ${(error as Error).message}`);
  }
  return subjectId(key, code);
}
