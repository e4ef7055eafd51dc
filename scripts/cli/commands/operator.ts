/** Node operators: deploy the contracts, start a node, a node's status (head, indexed block, lag). */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { Command } from "commander";
import { NonceManager } from "ethers";

import { categoryId, memberId, namesToRoles } from "../../../core/index.js";
import { deployContracts, type FounderSpec } from "../../deploy/deployContracts.js";
import type { CliContext } from "../context.js";
import { CliError, ExitCode, SilentExit } from "../errors.js";
import { readJson } from "../files.js";
import { parseTime } from "./governance.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

interface FounderFile {
  threshold?: number;
  founders: {
    name: string;
    roles: string[];
    keys: string[];
    categories?: string[];
    scopeExpiresAt?: string;
  }[];
}

export function registerOperator(program: Command, context: () => CliContext): void {
  program
    .command("status")
    .description("Operators: the node's ledger head, indexed block and lag (the gateway's _meta)")
    .action(async () => {
      const ctx = context();
      const { _meta } = await ctx.gateway().request<{
        _meta: { headBlock: string | null; indexedBlock: string; lagSeconds: number };
      }>("{ _meta { headBlock indexedBlock lagSeconds } }", {}, false);
      ctx.out.result(_meta, () => {
        ctx.out.line(`head block    ${_meta.headBlock ?? "unknown (the ledger did not answer)"}`);
        ctx.out.line(`indexed block ${_meta.indexedBlock}`);
        ctx.out.line(`lag           ${_meta.lagSeconds} s`);
      });
    });
  program
    .command("deploy")
    .description(
      "Operators: deploy Consortium, CreditRegistry and the forwarder with the founding members",
    )
    .requiredOption(
      "--founders <file>",
      'JSON: {"threshold": 2, "founders": [{"name","roles":["PROVIDER"],"keys":["0x…"],"categories":["tax.payment"],"scopeExpiresAt":"2028-01-01"}]}',
    )
    .action(async (o: { founders: string }) => {
      const ctx = context();
      const spec = (await readJson(o.founders, "the founders file")) as FounderFile;
      if (!Array.isArray(spec.founders) || spec.founders.length === 0)
        throw new CliError(`${o.founders} lists no founders`);
      const founders: FounderSpec[] = spec.founders.map((f) => ({
        id: memberId(f.name),
        name: f.name,
        roles: namesToRoles(f.roles),
        keys: f.keys,
        categories: (f.categories ?? []).map((c) => categoryId(c)),
        scopeExpiresAt:
          f.scopeExpiresAt === undefined ? 0n : parseTime(f.scopeExpiresAt, "scopeExpiresAt"),
      }));
      const provider = await ctx.provider();
      try {
        const signer = new NonceManager(ctx.wallet().connect(provider));
        const deployed = await deployContracts(signer, {
          founders,
          threshold: spec.threshold ?? 2,
        });
        const result = {
          consortium: await deployed.consortium.getAddress(),
          registry: await deployed.registry.getAddress(),
          forwarder: await deployed.forwarder.getAddress(),
          deployBlock: deployed.deployBlock,
        };
        ctx.out.result(result, () => {
          ctx.out.line(`consortium ${result.consortium}`);
          ctx.out.line(`registry   ${result.registry}`);
          ctx.out.line(`forwarder  ${result.forwarder}`);
          ctx.out.line(`deployed in block ${result.deployBlock}`);
        });
      } finally {
        provider.destroy();
      }
    });
  const nodeCmd = program
    .command("node")
    .description("Operators: a node (indexer + scoring + gateway)");
  nodeCmd
    .command("start")
    .description(
      "Start a node (gateway/main.ts); options after -- go to it, e.g. -- --db .data/node",
    )
    .allowUnknownOption()
    .argument("[args...]")
    .action(async (args: string[]) => {
      const ctx = context();
      const argv = ["--import", "tsx", path.join(REPO, "gateway", "main.ts"), ...args];
      const addresses = (() => {
        try {
          return ctx.addresses();
        } catch {
          return undefined;
        }
      })();
      if (addresses !== undefined && !args.includes("--consortium"))
        argv.push("--consortium", addresses.consortium, "--registry", addresses.registry);
      if (!args.includes("--rpc")) {
        try {
          argv.push("--rpc", ctx.rpcUrl());
        } catch {
          // gateway/main.ts reports what is missing
        }
      }
      const child = spawn(process.execPath, argv, { stdio: "inherit", cwd: REPO });
      const code = await new Promise<number>((resolve) =>
        child.on("exit", (c) => {
          resolve(c ?? 1);
        }),
      );
      if (code !== 0) throw new SilentExit(code === 2 ? ExitCode.USAGE : ExitCode.FAILED);
    });
}
