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
  return {
    version,
    path: path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "soljson.js"),
  };
}

/**
 * EVM version: `cancun`, the oldest fork OpenZeppelin 5.7 compiles for here: its utils/Bytes.sol
 * (imported through Strings by EIP712 and ECDSA) uses MCOPY. Consortium chains lag mainnet, so we
 * go no newer: Besu QBFT networks run Cancun; geth Clique (sealing ends at v1.13, London/Paris)
 * cannot run these contracts. Bytecode for an older fork runs on every newer one (Hardhat's default
 * hardfork included).
 */
export const EVM_VERSION = "cancun";

const ours = {
  ...pinnedSolc("solc", "0.8.28"),
  settings: { evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 200 } },
};

/** EAS, the gas benchmark's baseline (bench/gas.ts), pins `pragma solidity 0.8.29`. */
const EAS_SOURCES = [
  "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol",
  "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol",
];
const eas = {
  ...pinnedSolc("solc-0.8.29", "0.8.29"),
  settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 1000000 } },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    compilers: [ours],
    overrides: Object.fromEntries(EAS_SOURCES.map((source) => [source, eas])),
    npmFilesToBuild: EAS_SOURCES,
  },
  paths: {
    tests: { mocha: "test" },
  },
  networks: {
    localhost: { type: "http", url: process.env.CREDTRAIL_RPC_URL ?? "http://127.0.0.1:8545" },
  },
});
