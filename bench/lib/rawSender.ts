/**
 * Sends signed transactions straight to a node with `eth_sendRawTransaction` and notes when the
 * node answered. On an automining node (Hardhat) the answer comes once the transaction's block is
 * mined, so that moment is the "block mined" time the head-lag measurement starts from.
 */
import { Wallet } from "ethers";

import { rpc } from "../../test/helpers/hardhatNode.js";

export interface SentTransaction {
  hash: string;
  /** performance.now() when the node answered (the block is mined by then). */
  minedAt: number;
  blockNumber: bigint;
}

export interface RawSender {
  readonly address: string;
  send(to: string, data: string): Promise<SentTransaction>;
}

export async function createRawSender(
  url: string,
  privateKey: string,
  chainId: bigint,
): Promise<RawSender> {
  const wallet = new Wallet(privateKey);
  let nonce = Number(
    BigInt(await rpc<string>(url, "eth_getTransactionCount", [wallet.address, "pending"])),
  );
  const latest = await rpc<{ baseFeePerGas?: string }>(url, "eth_getBlockByNumber", [
    "latest",
    false,
  ]);
  const baseFee = BigInt(latest.baseFeePerGas ?? "0x3b9aca00");
  const maxPriorityFeePerGas = 1_000_000_000n;
  const maxFeePerGas = baseFee * 4n + maxPriorityFeePerGas;
  return {
    address: wallet.address,
    async send(to, data) {
      const signed = await wallet.signTransaction({
        type: 2,
        chainId,
        nonce: nonce++,
        to,
        data,
        gasLimit: 400_000n,
        maxFeePerGas,
        maxPriorityFeePerGas,
      });
      const hash = await rpc<string>(url, "eth_sendRawTransaction", [signed]);
      const minedAt = performance.now();
      const receipt = await rpc<{ blockNumber: string; status: string } | null>(
        url,
        "eth_getTransactionReceipt",
        [hash],
      );
      if (receipt === null) throw new Error(`no receipt for ${hash}: is the node automining?`);
      if (receipt.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
      return { hash, minedAt, blockNumber: BigInt(receipt.blockNumber) };
    },
  };
}
