import { createRequire } from "node:module";
import path from "node:path";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

/**
 * Solidity compiles offline with solc-js from the npm registry: Hardhat would otherwise try to
 * download compilers (HHE905 here). Hardhat does not check that the soljson.js it is pointed at
 * is the version it is told, so we do: a caret range once compiled "0.8.28" with 0.8.37.
 */
const require = createRequire(import.meta.url);

function pinnedSolc(pkg: string, version: string): { version: string; path: string } {
  const installed = (require(`${pkg}/package.json`) as { version: string }).version;
  if (installed !== version) {
    throw new Error(
      `hardhat.config: ${pkg} is ${installed}, expected ${version}; run \`make deps\` to reinstall from the lockfile`,
    );
  }
  return { version, path: path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "soljson.js") };
}

/**
 * EVM version: `london`, the oldest fork OpenZeppelin 5.7 and our contracts compile for. Consortium
 * chains lag mainnet (geth Clique seals nothing past London/Paris; Besu QBFT networks often pin an
 * old fork), and bytecode for an older fork runs on every newer one. No PUSH0 (Shanghai), MCOPY or
 * transient storage (Cancun) is emitted.
 */
export const EVM_VERSION = "london";

const ours = {
  ...pinnedSolc("solc", "0.8.28"),
  settings: { evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 1000 } },
};

/** EAS (benchmark baseline only) pins `pragma solidity 0.8.29`. */
const eas = {
  ...pinnedSolc("solc-0.8.29", "0.8.29"),
  settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 1000000 } },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    compilers: [ours, eas],
    npmFilesToBuild: [
      "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol",
      "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol",
    ],
  },
  paths: {
    tests: { mocha: "test" },
  },
  networks: {
    localhost: { type: "http", url: process.env.CREDTRAIL_RPC_URL ?? "http://127.0.0.1:8545" },
  },
});
