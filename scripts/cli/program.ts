/**
 * The `credtrail` command line: the global options, one command group per user of
 * ARCHITECTURE.md, and the one place that turns an error into one line and an exit code.
 */
import { Command, CommanderError, Option } from "commander";

import { registerGovernance } from "./commands/governance.js";
import { registerKeys } from "./commands/keys.js";
import { registerLender } from "./commands/lender.js";
import { registerOperator } from "./commands/operator.js";
import { registerProvider } from "./commands/provider.js";
import { registerRegulator } from "./commands/regulator.js";
import { registerVerify } from "./commands/verify.js";
import { createContext, type CliContext, type ContextDeps, type GlobalOptions } from "./context.js";
import { describeError, ExitCode, SilentExit } from "./errors.js";

export function createProgram(deps: ContextDeps): Command {
  const program = new Command("credtrail");
  program
    .description(
      "credtrail: credit attestations, verified scores and lineage on a permissioned ledger",
    )
    .option("--gateway <url>", "the gateway (env CREDTRAIL_GATEWAY)", undefined)
    .option("--audience <name>", "what login tokens name (default: the gateway URL + /graphql)")
    .option("--rpc <url>", "a ledger node's JSON-RPC URL (env CREDTRAIL_RPC)")
    .option("--consortium <address>", "the Consortium contract (env CREDTRAIL_CONSORTIUM)")
    .option("--registry <address>", "the CreditRegistry contract (env CREDTRAIL_REGISTRY)")
    .option(
      "--key-file <file>",
      "the member's signing key (env CREDTRAIL_KEY_FILE, or the key in CREDTRAIL_KEY)",
    )
    .option(
      "--member <id-or-name>",
      "the key's member (default: asked of the consortium; env CREDTRAIL_MEMBER)",
    )
    .option(
      "--chain-id <n>",
      "the ledger's chain id (default: asked of --rpc; env CREDTRAIL_CHAIN_ID)",
    )
    .option("--json", "print results as JSON")
    .addOption(new Option("--progress", "draw progress bars even when stderr is not a terminal"))
    .addOption(new Option("--no-progress", "never draw progress bars"))
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.streams.stdout.write(text),
      // help asked for by a bare command group goes to stderr ...
      writeErr: (text) => deps.streams.stderr.write(text),
      // ... but commander's error lines are reported by runCli, in the one-line form
      outputError: () => undefined,
    });

  let ctx: CliContext | undefined;
  const context = () => (ctx ??= createContext(program.opts<GlobalOptions>(), deps));

  registerKeys(program, context);
  registerGovernance(program, context);
  registerProvider(program, context);
  registerLender(program, context);
  registerVerify(program, context);
  registerRegulator(program, context);
  registerOperator(program, context);
  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function runCli(argv: readonly string[], deps: ContextDeps): Promise<number> {
  const program = createProgram(deps);
  if (argv.length === 0) {
    deps.streams.stderr.write(program.helpInformation());
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof SilentExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // --help and --version end through here too
      if (error.exitCode === 0 || error.code === "commander.helpDisplayed") return ExitCode.OK;
      if (error.code === "commander.help" || error.code === "commander.executeSubCommandAsync")
        return ExitCode.USAGE;
    }
    const { line, exitCode } = describeError(error);
    deps.streams.stderr.write(`credtrail: ${line}\n`);
    if (deps.env.CREDTRAIL_DEBUG === "1" && error instanceof Error && error.stack !== undefined)
      deps.streams.stderr.write(`${error.stack}\n`);
    return exitCode;
  }
}
