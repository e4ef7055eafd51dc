/** Regulators: lineage from a score or record down to its sources, as a tree; the query audit log. */
import type { Command } from "commander";

import { schemaRegistration, SCHEMAS } from "../../../core/index.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { uidArg } from "../hashes.js";

export interface LineageNode {
  uid: string;
  depth: number;
  state: string;
  provider: { name: string } | null;
  attestation: { schema: string; category: string | null } | null;
}

export interface LineageAnswer {
  root: string;
  direction: "INPUTS" | "DEPENDENTS";
  nodes: LineageNode[];
  edges: { derived: string; input: string }[];
  truncated: boolean;
}

/** The consortium's schemas by id: a tree shows "tax.grade.v1", not a hash. */
const SCHEMA_NAMES = new Map<string, string>(
  Object.values(SCHEMAS).map((d) => [schemaRegistration(d).schemaId.toLowerCase(), d.name]),
);

/** The lineage as printed lines: the root, then each child indented under its parent. */
export function lineageTree(l: LineageAnswer): string[] {
  const byUid = new Map(l.nodes.map((n) => [n.uid.toLowerCase(), n]));
  const children = new Map<string, string[]>();
  for (const e of l.edges) {
    const [parent, child] = l.direction === "INPUTS" ? [e.derived, e.input] : [e.input, e.derived];
    const list = children.get(parent.toLowerCase()) ?? [];
    list.push(child.toLowerCase());
    children.set(parent.toLowerCase(), list);
  }
  const label = (uid: string) => {
    const n = byUid.get(uid);
    if (n === undefined) return uid;
    const schema =
      n.attestation === null
        ? "?"
        : (SCHEMA_NAMES.get(n.attestation.schema.toLowerCase()) ??
          n.attestation.category ??
          n.attestation.schema);
    const provider = n.provider?.name ?? "unknown provider";
    return `${uid} ${schema} ${n.state.toLowerCase()} (${provider})`;
  };
  const lines = [label(l.root.toLowerCase())];
  const walk = (uid: string, prefix: string, seen: Set<string>) => {
    const list = children.get(uid) ?? [];
    list.forEach((child, i) => {
      const last = i === list.length - 1;
      const again = seen.has(child);
      lines.push(`${prefix}${last ? "└── " : "├── "}${label(child)}${again ? " (see above)" : ""}`);
      if (!again) walk(child, `${prefix}${last ? "    " : "│   "}`, new Set([...seen, child]));
    });
  };
  walk(l.root.toLowerCase(), "", new Set([l.root.toLowerCase()]));
  if (l.truncated) lines.push("… truncated at the depth limit (raise --depth)");
  return lines;
}

export function registerRegulator(program: Command, context: () => CliContext): void {
  program
    .command("lineage")
    .description("Regulators: a record's lineage as a tree (inputs, or --dependents)")
    .argument("<uid>", "a score or record uid")
    .option("--dependents", "walk to the records derived from it instead")
    .option("--depth <n>", "1…32", "8")
    .action(async (uid: string, o: { dependents?: boolean; depth: string }) => {
      const ctx = context();
      if (!/^\d+$/.test(o.depth)) throw new CliError("--depth must be a number");
      const { lineage } = await ctx.gateway().request<{ lineage: LineageAnswer }>(
        `query($uid: ID!, $d: LineageDirection!, $depth: Int) { lineage(uid: $uid, direction: $d, depth: $depth) {
          root direction truncated edges { derived input }
          nodes { uid depth state provider { name } attestation { schema category } } } }`,
        {
          uid: uidArg(uid),
          d: o.dependents === true ? "DEPENDENTS" : "INPUTS",
          depth: Number(o.depth),
        },
      );
      ctx.out.result(lineage, () => {
        for (const line of lineageTree(lineage)) ctx.out.line(line);
      });
    });
  program
    .command("audit")
    .description("Regulators: who queried which subject, when and why (newest first)")
    .option("--subject <id>")
    .option("--member <id>", "the querying member")
    .option("--first <n>", "how many", "50")
    .action(async (o: { subject?: string; member?: string; first: string }) => {
      const ctx = context();
      const { queryAudit } = await ctx.gateway().request<{
        queryAudit: {
          nodes: {
            member: string;
            subject: string;
            purpose: string;
            operation: string;
            at: string;
            anchor: { txHash: string } | null;
          }[];
        };
      }>(
        `query($s: ID, $m: ID, $first: Int) { queryAudit(subject: $s, member: $m, first: $first) {
          nodes { member subject purpose operation at anchor { txHash } } } }`,
        {
          s: o.subject === undefined ? null : uidArg(o.subject, "--subject"),
          m: o.member === undefined ? null : uidArg(o.member, "--member"),
          first: Number(o.first),
        },
      );
      ctx.out.result(queryAudit.nodes, () => {
        if (queryAudit.nodes.length === 0) ctx.out.line("no queries logged");
        for (const e of queryAudit.nodes)
          ctx.out.line(
            `${new Date(Number(e.at)).toISOString()} ${e.member.slice(0, 10)}… read ${e.subject.slice(0, 10)}… (${e.operation}, ${e.purpose})${e.anchor === null ? " [not anchored yet]" : ` [anchored ${e.anchor.txHash.slice(0, 10)}…]`}`,
          );
      });
    });
}
