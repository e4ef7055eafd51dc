/**
 * Lenders: a subject's score with its proof (to `verify`), consents, disputes; and the repair
 * authority's decision on a repair request.
 */
import { writeFileSync } from "node:fs";

import type { Command } from "commander";

import { purposeHash } from "../../../core/index.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { subjectOf, textHash, uidArg } from "../hashes.js";
import { relay } from "../relay.js";
import { parseTime } from "./governance.js";
import { printRelay } from "./provider.js";

export const SCORE_FIELDS = `subject value grade pd reasons reasonDetails { code text feature pointsLost }
  model asOf asOfBlock inputs verified provisionalSince provisionalReason missingContents
  proof { leaf path root batchTx blockNumber blockHash modelHash inputs }`;

interface SubjectOptions {
  uscc?: string;
  subject?: string;
  purpose: string;
}

export function registerLender(program: Command, context: () => CliContext): void {
  program
    .command("score")
    .description("Lenders: a subject's verified score with its proof (needs a consent in force)")
    .option("--uscc <code>", "the enterprise (pseudonymised here with CREDTRAIL_CONSORTIUM_KEY)")
    .option("--subject <id>", "the subject id")
    .option("--purpose <purpose>", "the purpose of the query", "credit-assessment")
    .option("--out <file>", "also write the score JSON (for credtrail verify)")
    .action(async (o: SubjectOptions & { out?: string }) => {
      const ctx = context();
      const subject = subjectOf(ctx, o);
      const data = await ctx
        .gateway()
        .request<{ subject: { id: string; score: Record<string, unknown> | null } | null }>(
          `query($id: ID!, $purpose: String!) { subject(subjectId: $id, purpose: $purpose) { id score { ${SCORE_FIELDS} } } }`,
          { id: subject, purpose: o.purpose },
        );
      const score = data.subject?.score ?? null;
      if (score === null) throw new CliError(`no score for subject ${subject}`, 1);
      if (o.out !== undefined) writeFileSync(o.out, `${JSON.stringify(score, null, 2)}\n`);
      ctx.out.result(score, () => {
        ctx.out.line(
          `${String(score.value)} ${String(score.grade)} pd ${String(score.pd)} ${score.verified === true ? "verified" : "provisional"} as of block ${String(score.asOfBlock)}`,
        );
        ctx.out.line(`reasons: ${(score.reasons as string[]).join(", ") || "none"}`);
        if (o.out !== undefined)
          ctx.out.line(`written to ${o.out}: check it with credtrail verify ${o.out}`);
      });
    });
  const consent = program
    .command("consent")
    .description("Lenders: a subject's consent to read its data");
  consent
    .command("record")
    .option("--uscc <code>")
    .option("--subject <id>")
    .option("--purpose <purpose>", "what the data is read for", "credit-assessment")
    .requiredOption("--expires-at <time>", "unix seconds or YYYY-MM-DD")
    .requiredOption("--evidence <text>", "the signed consent (its hash goes on the ledger)")
    .action(async (o: SubjectOptions & { expiresAt: string; evidence: string }) => {
      const ctx = context();
      printRelay(
        ctx,
        "consent recorded",
        await relay(ctx, "recordConsent", "recordConsent", [
          subjectOf(ctx, o),
          purposeHash(o.purpose),
          parseTime(o.expiresAt, "--expires-at"),
          textHash(o.evidence),
        ]),
      );
    });
  consent
    .command("revoke")
    .option("--uscc <code>")
    .option("--subject <id>")
    .option("--purpose <purpose>", "", "credit-assessment")
    .action(async (o: SubjectOptions) => {
      const ctx = context();
      printRelay(
        ctx,
        "consent revoked",
        await relay(ctx, "revokeConsent", "revokeConsent", [
          subjectOf(ctx, o),
          purposeHash(o.purpose),
        ]),
      );
    });
  program
    .command("dispute")
    .description("Lenders: dispute a record")
    .argument("<uid>")
    .requiredOption("--reason <text>")
    .action(async (uid: string, o: { reason: string }) => {
      const ctx = context();
      printRelay(
        ctx,
        "dispute opened",
        await relay(ctx, "openDispute", "openDispute", [uidArg(uid), textHash(o.reason)]),
      );
    });
  program
    .command("decide-repair")
    .description("Repair authorities: approve or reject a repair request")
    .argument("<uid>")
    .option("--approve", "approve the repair")
    .option("--reject", "reject it")
    .requiredOption("--decision <text>", "the decision (its hash goes on the ledger)")
    .action(async (uid: string, o: { approve?: boolean; reject?: boolean; decision: string }) => {
      if ((o.approve === true) === (o.reject === true))
        throw new CliError("give exactly one of --approve and --reject");
      const ctx = context();
      printRelay(
        ctx,
        o.approve === true ? "repair approved" : "repair rejected",
        await relay(ctx, "decideRepair", "decideRepair", [
          uidArg(uid),
          o.approve === true,
          textHash(o.decision),
        ]),
      );
    });
}
