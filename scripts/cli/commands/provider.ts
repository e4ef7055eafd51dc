/**
 * Data providers: `submit` a file of records; `revoke`, `supersede` one of their records; answer a
 * dispute. Writes go through the gateway's relay, signed with the member's key.
 */
import type { Command } from "commander";

import { normalizeAttestationRequest } from "../../../core/index.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { textHash, uidArg } from "../hashes.js";
import { relay, type RelayResult } from "../relay.js";
import { readRows } from "../submit/readRows.js";
import { schemaByName, submitFile, type SubmitOptions } from "../submit/submitFile.js";
import { readText } from "../files.js";
import { schemaRegistration } from "../../../core/index.js";

export function printRelay(ctx: CliContext, what: string, result: RelayResult): void {
  ctx.out.result(result, () => {
    ctx.out.line(
      `${what}: tx ${result.txHash} in block ${result.blockNumber}${result.ids.length > 0 ? ` (${result.ids.join(", ")})` : ""}`,
    );
  });
}

const OUTCOMES = { upheld: 1, corrected: 2 } as const;

export function registerProvider(program: Command, context: () => CliContext): void {
  program
    .command("submit")
    .description(
      "Providers: submit a CSV or NDJSON file of records for a schema (checked first; small files as single attestations, larger ones as a batch)",
    )
    .argument(
      "<file>",
      "the records: CSV with a header, or NDJSON; each row has uscc and the schema's fields",
    )
    .requiredOption("--schema <name>", "e.g. tax.payment or tax.payment.v1")
    .option("--format <csv|ndjson>", "default: from the file extension")
    .option(
      "--receipts <file>",
      "the receipts file (default: FILE.receipts.ndjson); resumes from it",
    )
    .option("--batch-threshold <n>", "files with at most n rows go as single attestations", "16")
    .option("--uri <uri>", "where the batch file can be found (anchored with the root)")
    .option("--dry-run", "only check the rows")
    .option("--no-contents", "do not upload the record contents to the node (POST /records)")
    .action(async (file: string, options: SubmitOptions) => {
      await submitFile(context(), file, options);
    });
  program
    .command("revoke")
    .description("Providers: revoke one of your records")
    .argument("<uid>")
    .requiredOption("--reason <text>", "why (its hash goes on the ledger)")
    .action(async (uid: string, o: { reason: string }) => {
      const ctx = context();
      printRelay(
        ctx,
        "revoked",
        await relay(ctx, "revokeAttestation", "revoke", [uidArg(uid), textHash(o.reason)]),
      );
    });
  program
    .command("supersede")
    .description("Providers: replace one of your records by a corrected one")
    .argument("<uid>", "the record to replace")
    .requiredOption("--schema <name>", "the replacement's schema")
    .requiredOption("--record <file>", "the replacement: one JSON object with uscc and the fields")
    .action(async (uid: string, o: { schema: string; record: string }) => {
      const ctx = context();
      const definition = schemaByName(o.schema);
      const key = ctx.env.CREDTRAIL_CONSORTIUM_KEY;
      if (key === undefined || key === "")
        throw new CliError("CREDTRAIL_CONSORTIUM_KEY is not set");
      const text = readText(o.record).trim().replace(/\n/g, " ");
      const { rows, problems } = readRows(text, {
        format: "ndjson",
        definition,
        consortiumKey: key,
        defaultObservedAt: ctx.now(),
      });
      if (problems.length > 0) throw new CliError(`${o.record}: ${problems[0].problem}`);
      const row = rows[0];
      const request = normalizeAttestationRequest({
        schema: schemaRegistration(definition).schemaId,
        subject: row.subject,
        dataHash: row.dataHash,
        observedAt: row.observedAt,
        expiresAt: row.expiresAt,
        severity: row.severity,
      });
      printRelay(
        ctx,
        "superseded",
        await relay(ctx, "supersedeAttestation", "supersede", [uidArg(uid), { ...request }]),
      );
    });
  program
    .command("answer-dispute")
    .description("Providers: answer an open dispute on your record")
    .argument("<uid>")
    .requiredOption(
      "--outcome <upheld|corrected>",
      "upheld: the record stands; corrected: you revoke or supersede it",
    )
    .requiredOption("--response <text>", "your answer (its hash goes on the ledger)")
    .action(async (uid: string, o: { outcome: string; response: string }) => {
      const ctx = context();
      const outcome = OUTCOMES[o.outcome as keyof typeof OUTCOMES] as number | undefined;
      if (outcome === undefined) throw new CliError("--outcome must be upheld or corrected");
      printRelay(
        ctx,
        "answered",
        await relay(ctx, "answerDispute", "answerDispute", [
          uidArg(uid),
          outcome,
          textHash(o.response),
        ]),
      );
    });
}
