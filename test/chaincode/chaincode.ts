/**
 * Builds chaincode/ with tsc (its decorators need tsc's metadata, which the test runner's
 * TypeScript loader does not emit) and loads the compiled package the way fabric-chaincode-node
 * does, once per test process.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

import type { RegistryDomain } from "../../core/index.js";

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "../..");

// fabric-contract-api logs every transaction at info and every rejection at error level
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= "CRITICAL";

export interface CompiledChaincode {
  contracts: unknown[];
  identityAddress(mspId: string, id: string): string;
  fabricRegistryDomain(channel: string, chaincodeName: string): RegistryDomain;
  parseChaincodeError(
    message: string,
  ): { errorName: string; args: Record<string, unknown> } | undefined;
}

let loaded: CompiledChaincode | undefined;

export function loadChaincode(): CompiledChaincode {
  if (loaded !== undefined) return loaded;
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "chaincode/tsconfig.json")], {
    cwd: root,
    stdio: "inherit",
  });
  const pkg = require(path.join(root, "chaincode/package.json")) as { main: string };
  const dist = path.join(root, "chaincode", path.dirname(pkg.main));
  const index = require(path.join(root, "chaincode", pkg.main)) as { contracts: unknown[] };
  const identity = require(path.join(dist, "identity.js")) as Pick<
    CompiledChaincode,
    "identityAddress"
  >;
  const domain = require(path.join(dist, "domain.js")) as Pick<
    CompiledChaincode,
    "fabricRegistryDomain"
  >;
  const errors = require(path.join(dist, "errors.js")) as Pick<
    CompiledChaincode,
    "parseChaincodeError"
  >;
  loaded = {
    contracts: index.contracts,
    identityAddress: identity.identityAddress,
    fabricRegistryDomain: domain.fabricRegistryDomain,
    parseChaincodeError: errors.parseChaincodeError,
  };
  return loaded;
}
