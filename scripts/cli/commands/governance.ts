/**
 * `credtrail governance`: propose admission, suspension, reinstatement, role and scope changes,
 * vote on (approve) a proposal, list proposals. Proposals are Consortium transactions sent with the
 * member's own key (--rpc, --consortium, --registry).
 */
import type { Command } from "commander";

import {
  ACTION_KIND_NAMES,
  categoryId,
  decodeAction,
  namesToRoles,
  type GovernanceAction,
} from "../../../core/index.js";
import type { CliContext } from "../context.js";
import { parseMember } from "../context.js";
import { CliError } from "../errors.js";
import { withConsortium, withLedger } from "../ledgerAccess.js";

const STATUS = ["none", "open", "executed", "cancelled"] as const;

function roles(list: string): number {
  try {
    return namesToRoles(list.split(",").map((r) => r.trim().toUpperCase()));
  } catch (error) {
    throw new CliError(`--roles ${list}: ${(error as Error).message}`);
  }
}

/** Unix seconds, or a YYYY-MM-DD date (UTC midnight). */
export function parseTime(value: string, flag: string): bigint {
  if (/^\d{1,12}$/.test(value)) return BigInt(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(ms)) return BigInt(ms / 1000);
  }
  throw new CliError(`${flag} ${value} is neither unix seconds nor a YYYY-MM-DD date`);
}

async function propose(ctx: CliContext, action: GovernanceAction): Promise<void> {
  const receipt = await withLedger(ctx, (ledger) =>
    ledger.writer(ctx.wallet().privateKey).propose(action),
  );
  ctx.out.result(
    { proposalId: receipt.proposalId, kind: action.kind, txHash: receipt.txHash },
    () => {
      ctx.out.line(
        `proposal ${receipt.proposalId} (${action.kind}) created in tx ${receipt.txHash}`,
      );
    },
  );
}

function describe(action: GovernanceAction): string {
  const { kind, ...rest } = action;
  return `${kind} ${Object.entries(rest)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
    .join(" ")}`;
}

export function registerGovernance(program: Command, context: () => CliContext): void {
  const gov = program.command("governance").description("Node operators and members: M-of-N votes");
  const prop = gov.command("propose").description("Propose a membership change");
  prop
    .command("admit")
    .argument("<name>", "the new member's name (its id is keccak256 of it)")
    .requiredOption("--roles <list>", "e.g. PROVIDER,LENDER")
    .requiredOption("--keys <addresses>", "comma-separated signing key addresses")
    .action(async (name: string, o: { roles: string; keys: string }) => {
      await propose(context(), {
        kind: "Admit",
        member: parseMember(name),
        name,
        roles: roles(o.roles),
        keys: o.keys.split(",").map((k) => k.trim()),
      });
    });
  for (const kind of ["Suspend", "Reinstate"] as const)
    prop
      .command(kind.toLowerCase())
      .argument("<member>", "member id or name")
      .action(async (member: string) => {
        await propose(context(), { kind, member: parseMember(member) });
      });
  prop
    .command("roles")
    .argument("<member>", "member id or name")
    .requiredOption("--roles <list>", "the member's new roles, e.g. PROVIDER,SCORER")
    .action(async (member: string, o: { roles: string }) => {
      await propose(context(), {
        kind: "SetRoles",
        member: parseMember(member),
        roles: roles(o.roles),
      });
    });
  prop
    .command("scope")
    .description("Accredit a provider for a data category until a time (0 removes the scope)")
    .argument("<member>", "member id or name")
    .requiredOption("--category <name>", "e.g. tax.payment")
    .requiredOption("--expires-at <time>", "unix seconds or YYYY-MM-DD; 0 removes")
    .action(async (member: string, o: { category: string; expiresAt: string }) => {
      await propose(context(), {
        kind: "SetScope",
        member: parseMember(member),
        category: categoryId(o.category),
        expiresAt: parseTime(o.expiresAt, "--expires-at"),
      });
    });
  gov
    .command("vote")
    .description("Approve an open proposal (it executes once it has enough approvals)")
    .argument("<id>", "proposal id")
    .action(async (id: string) => {
      const ctx = context();
      if (!/^\d+$/.test(id)) throw new CliError(`proposal id ${id} is not a number`);
      const receipt = await withLedger(ctx, (ledger) =>
        ledger.writer(ctx.wallet().privateKey).approve(BigInt(id)),
      );
      const executed = receipt.events.some((e) => e.kind === "ProposalExecuted");
      ctx.out.result({ proposalId: id, txHash: receipt.txHash, executed }, () => {
        ctx.out.line(
          `approved proposal ${id} (tx ${receipt.txHash})${executed ? ": executed" : ""}`,
        );
      });
    });
  gov
    .command("list")
    .description("List proposals")
    .option("--open", "only open ones")
    .action(async (o: { open?: boolean }) => {
      const ctx = context();
      const rows = await withConsortium(ctx, async (c) => {
        const required = await c.requiredApprovals();
        const list = [];
        for (let id = 1n; id < 10_000n; id++) {
          const p = await c.proposal(id);
          const status = STATUS[Number(p.status)];
          if (status === "none") break;
          if (o.open === true && status !== "open") continue;
          let action: string;
          try {
            action = describe(decodeAction(Number(p.kind), p.payload));
          } catch {
            action = `${ACTION_KIND_NAMES[Number(p.kind)] ?? "unknown"} (undecodable payload)`;
          }
          list.push({
            id: id.toString(),
            status,
            action,
            approvals: Number(p.approvals),
            required: Number(required),
            expiresAt: p.expiresAt.toString(),
          });
        }
        return list;
      });
      ctx.out.result(rows, () => {
        if (rows.length === 0) ctx.out.line("no proposals");
        for (const r of rows)
          ctx.out.line(`#${r.id} ${r.status.padEnd(9)} ${r.approvals}/${r.required}  ${r.action}`);
      });
    });
}
