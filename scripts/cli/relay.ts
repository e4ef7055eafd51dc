/**
 * Relayed writes through the gateway: the member signs an ERC-2771 forward request for one
 * registry call (core signForwardRequest, with the forwarder, chain and nonce from `relayInfo`), and
 * the gateway's mutation sends it. Nothing is sent when the gateway refuses.
 */
import type { Interface } from "ethers";

import { forwarderDomain, signForwardRequest, type Hex } from "../../core/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import type { CliContext } from "./context.js";

export interface RelayResult {
  operation: string;
  txHash: Hex;
  blockNumber: string;
  blockHash: Hex;
  ids: string[];
  events: string[];
}

/** The registry's ABI, untyped: each caller names one of its functions. */
const registryInterface: Interface = CreditRegistry__factory.createInterface();

/** Gas the forwarder gives the registry call (the gateway dry-runs it first). */
const CALL_GAS = 2_000_000n;
/** How long a signed request stays valid. */
const DEADLINE_SECONDS = 600n;

export async function relay(
  ctx: CliContext,
  mutation: string,
  fn: string,
  args: readonly unknown[],
): Promise<RelayResult> {
  const wallet = ctx.wallet();
  const gateway = ctx.gateway();
  const { relayInfo } = await gateway.request<{
    relayInfo: { forwarder: string; chainId: string; registry: string; nonce: string };
  }>("query($key: String!) { relayInfo(key: $key) { forwarder chainId registry nonce } }", {
    key: wallet.address,
  });
  const data = registryInterface.encodeFunctionData(fn, [...args]);
  const signed = await signForwardRequest(
    wallet,
    forwarderDomain(BigInt(relayInfo.chainId), relayInfo.forwarder),
    {
      from: wallet.address,
      to: relayInfo.registry,
      gas: CALL_GAS,
      nonce: BigInt(relayInfo.nonce),
      deadline: ctx.now() + DEADLINE_SECONDS,
      data,
    },
  );
  const answer = await gateway.request<Record<string, RelayResult>>(
    `mutation($request: ForwardRequestInput!) { ${mutation}(request: $request) { operation txHash blockNumber blockHash ids events } }`,
    {
      request: {
        from: signed.from,
        to: signed.to,
        gas: signed.gas.toString(),
        nonce: signed.nonce.toString(),
        deadline: signed.deadline.toString(),
        data: signed.data,
        signature: signed.signature,
      },
    },
  );
  return answer[mutation];
}
