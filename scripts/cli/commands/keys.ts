/**
 * `credtrail keys`: create a signing key, show its address, rotate it (a governance proposal to add
 * the new key to the member; the old one is revoked once the new one is in), revoke one of the
 * member's own keys.
 */
import { existsSync, writeFileSync } from "node:fs";

import type { Command } from "commander";
import { Wallet } from "ethers";

import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { withLedger } from "../ledgerAccess.js";

function writeKey(ctx: CliContext, out: string, force: boolean): Wallet {
  if (existsSync(out) && !force)
    throw new CliError(`${out} exists: choose another file or pass --force`);
  const wallet = Wallet.createRandom();
  const password = ctx.env.CREDTRAIL_KEY_PASSWORD;
  const text =
    password === undefined || password === ""
      ? `${wallet.privateKey}\n`
      : wallet.encryptSync(password);
  try {
    writeFileSync(out, text, { mode: 0o600 });
  } catch (error) {
    throw new CliError(`cannot write ${out} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return new Wallet(wallet.privateKey);
}

export function registerKeys(program: Command, context: () => CliContext): void {
  const keys = program.command("keys").description("Member signing keys");
  keys
    .command("create")
    .description("Create a key in a new file (0600; encrypted when CREDTRAIL_KEY_PASSWORD is set)")
    .requiredOption("--out <file>", "where to write it")
    .option("--force", "overwrite the file")
    .action((options: { out: string; force?: boolean }) => {
      const ctx = context();
      const wallet = writeKey(ctx, options.out, options.force === true);
      ctx.out.result({ address: wallet.address, file: options.out }, () => {
        ctx.out.line(`created ${wallet.address} in ${options.out}`);
      });
    });
  keys
    .command("show")
    .description("Show the address of the key (--key-file or CREDTRAIL_KEY)")
    .action(() => {
      const ctx = context();
      const address = ctx.wallet().address;
      ctx.out.result({ address }, () => {
        ctx.out.line(address);
      });
    });
  keys
    .command("rotate")
    .description(
      "Create a new key and propose adding it to your member (needs --rpc, --consortium, --registry); revoke the old key with `keys revoke` once the proposal passes",
    )
    .requiredOption("--out <file>", "where to write the new key")
    .option("--force", "overwrite the file")
    .action(async (options: { out: string; force?: boolean }) => {
      const ctx = context();
      const member = await ctx.memberId();
      const old = ctx.wallet();
      const fresh = writeKey(ctx, options.out, options.force === true);
      const receipt = await withLedger(ctx, (ledger) =>
        ledger.writer(old.privateKey).propose({ kind: "AddKey", member, key: fresh.address }),
      );
      ctx.out.result(
        {
          member,
          newKey: fresh.address,
          file: options.out,
          proposalId: receipt.proposalId,
          txHash: receipt.txHash,
        },
        () => {
          ctx.out.line(`new key ${fresh.address} written to ${options.out}`);
          ctx.out.line(
            `proposal ${receipt.proposalId} adds it to member ${member} (tx ${receipt.txHash}); once it passes: credtrail keys revoke ${old.address} --key-file ${options.out}`,
          );
        },
      );
    });
  keys
    .command("revoke")
    .description("Revoke one of your member's keys at once (e.g. the old key after a rotation)")
    .argument("<address>", "the key to revoke")
    .action(async (address: string) => {
      const ctx = context();
      const receipt = await withLedger(ctx, (ledger) =>
        ledger.writer(ctx.wallet().privateKey).revokeOwnKey(address),
      );
      ctx.out.result({ revoked: address, txHash: receipt.txHash }, () => {
        ctx.out.line(`revoked ${address} (tx ${receipt.txHash})`);
      });
    });
}
