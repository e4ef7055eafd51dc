/**
 * The EIP-712 domain of signed attestations on Fabric. core/eip712 binds a signature to a chain id
 * and a verifying contract; a Fabric channel has neither, so both are derived from names:
 *   chainId           = uint256(keccak256("credtrail.fabric:<channel>"))
 *   verifyingContract = last 20 bytes of keccak256("credtrail.fabric:<channel>/<chaincode name>")
 * A signature for one channel (or one deployment name) is therefore invalid on any other, and on
 * any EVM chain. The chaincode name is set at bootstrap (the chaincode cannot see its own name).
 */
import type { RegistryDomain } from "../../core/index.js";
import { registryDomain } from "../../core/index.js";
import { keccak256, toUtf8Bytes } from "ethers";

export function fabricRegistryDomain(channel: string, chaincodeName: string): RegistryDomain {
  const chainId = BigInt(keccak256(toUtf8Bytes(`credtrail.fabric:${channel}`)));
  const contract = keccak256(toUtf8Bytes(`credtrail.fabric:${channel}/${chaincodeName}`));
  return registryDomain(chainId, `0x${contract.slice(-40)}`);
}
