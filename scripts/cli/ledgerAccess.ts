/** The ledger node, for commands that send their own transactions (governance, keys) or read it. */
// the EVM back end alone: the CLI does not load the Fabric one
import { createEvmLedger, type EvmLedger } from "../../ledger/evm/createEvmLedger.js";
import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import type { Consortium } from "../../types/ethers-contracts/contracts/Consortium.js";
import type { CliContext } from "./context.js";

/** Runs `fn` with a ledger connection (retries off: a down node is one line at once). */
export async function withLedger<T>(
  ctx: CliContext,
  fn: (ledger: EvmLedger) => Promise<T>,
): Promise<T> {
  const ledger = await createEvmLedger({
    rpcUrl: ctx.rpcUrl(),
    chainId: await ctx.chainId(),
    addresses: ctx.addresses(),
    retries: 0,
  });
  try {
    return await fn(ledger);
  } finally {
    ledger.close();
  }
}

/** Runs `fn` with a read-only Consortium contract. */
export async function withConsortium<T>(
  ctx: CliContext,
  fn: (c: Consortium) => Promise<T>,
): Promise<T> {
  const provider = await ctx.provider();
  try {
    return await fn(Consortium__factory.connect(ctx.addresses().consortium, provider));
  } finally {
    provider.destroy();
  }
}
