#!/usr/bin/env node
/**
 * The `credtrail` CLI entry point: `node --import tsx scripts/cli/main.ts <command> …`
 * (`npm run cli -- <command> …`). See docs/cli.md.
 */
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2), {
  streams: { stdout: process.stdout, stderr: process.stderr },
  env: process.env,
});
