/**
 * Entry point of the child process startHardhatNode() runs (plain `node`, which strips the types):
 * Hardhat's simulated network behind its JSON-RPC server, like `hardhat node`, with two
 * differences for tests: no per-request console logging, and contracts above the 24 KiB limit are
 * allowed (a `--coverage` build instruments the bytecode and makes the registry bigger than that).
 *
 *   node test/helpers/hardhatNodeServer.ts <port>
 *
 * Prints "listening <port>" once the server accepts connections. Importing this file (the test
 * runner loads every file under test/) starts nothing.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { network } from "hardhat";

async function serve(port: number): Promise<void> {
  const server = await network.createServer(
    { network: "node", override: { allowUnlimitedContractSize: true } },
    "127.0.0.1",
    port,
  );
  const { port: actual } = await server.listen();
  console.log(`listening ${actual}`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await server.afterClosed();
}

const isMain =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await serve(Number(process.argv[2] ?? "8545"));
