/**
 * `credtrail verify [file]`: checks a score response (a file, or stdin) against a ledger node of
 * the caller's choice with core verifyScore, without trusting the gateway that served it. Prints
 * every check (✔ passed, ✘ failed, ! warning, - not checked) and exits 1 when one failed.
 */
import type { Command } from "commander";

import {
  parseScoreResponse,
  verifyScore,
  type ScoreVerification,
  type VerifyInputRecord,
} from "../../../core/index.js";
// the EVM reader alone: the CLI does not load the Fabric back end
import { createEvmScoreReader } from "../../../ledger/evm/evmReader.js";
import type { CliContext } from "../context.js";
import { ExitCode, SilentExit } from "../errors.js";
import { readJson, readJsonList } from "../files.js";

const MARK = { passed: "✔", failed: "✘", warning: "!", skipped: "-" } as const;

export interface VerifyOptions {
  model?: string;
  records?: string;
}

export async function runVerify(
  ctx: CliContext,
  file: string,
  options: VerifyOptions,
): Promise<void> {
  const response = await readJson(file, "the score response");
  const model =
    options.model === undefined ? undefined : await readJson(options.model, "the model");
  const records =
    options.records === undefined
      ? undefined
      : (readJsonList(options.records, "records", "the records file") as VerifyInputRecord[]);
  let result: ScoreVerification;
  try {
    parseScoreResponse(response);
  } catch (error) {
    // a malformed response fails before any node is asked
    result = {
      ok: false,
      checks: [
        { name: "response.shape", ok: false, status: "failed", detail: (error as Error).message },
      ],
    };
    print(ctx, result);
    throw new SilentExit(ExitCode.FAILED);
  }
  const rpcUrl = ctx.rpcUrl();
  const reader = createEvmScoreReader({
    rpcUrl,
    addresses: ctx.addresses(),
    chainId: await ctx.chainId(),
  });
  try {
    result = await verifyScore(response, reader, {
      ...(model === undefined ? {} : { model }),
      ...(records === undefined ? {} : { records }),
    });
  } finally {
    reader.close();
  }
  print(ctx, result);
  if (!result.ok) throw new SilentExit(ExitCode.FAILED);
}

function print(ctx: CliContext, result: ScoreVerification): void {
  ctx.out.result(result, () => {
    for (const check of result.checks)
      ctx.out.line(`${MARK[check.status]} ${check.name.padEnd(24)} ${check.detail}`);
    const failed = result.checks.filter((c) => !c.ok).length;
    ctx.out.line(
      result.ok
        ? "score verified against the ledger"
        : `score NOT verified: ${failed} check${failed === 1 ? "" : "s"} failed`,
    );
  });
}

export function registerVerify(program: Command, context: () => CliContext): void {
  program
    .command("verify")
    .description(
      "Lenders: check a score response (file or - for stdin) against a ledger node, without trusting the gateway",
    )
    .argument("[file]", "the score JSON (GraphQL answer or Score object)", "-")
    .option("--model <file>", "the model document, to check grade and pd and recompute the score")
    .option("--records <file>", "the input records (JSON list or NDJSON), to recompute the score")
    .action(async (file: string, options: VerifyOptions) => {
      await runVerify(context(), file, options);
    });
}
