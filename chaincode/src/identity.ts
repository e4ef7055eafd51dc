/**
 * Who calls. On the EVM a member key is an address; on Fabric it is an X.509 identity of an MSP. To
 * keep one membership model (governance payloads and events name keys as addresses), a Fabric
 * identity is given an address: the last 20 bytes of keccak256("<mspId>\n<id>"), where id is
 * fabric-shim's `x509::<subject DN>::<issuer DN>`. The on-ledger key registry maps such addresses to
 * members, exactly as Consortium.sol maps EOAs.
 *
 * Certificate attributes (fabric-ca `attrs`) can narrow what an identity may do, never widen it:
 * - `credtrail.member`: when present, must name the member the key belongs to (its name or id);
 * - `credtrail.roles`: when present, a comma-separated list of role names (PROVIDER, SCORER, ...):
 *   the identity acts only with those of its member's roles.
 */
import { getAddress, keccak256, toUtf8Bytes } from "ethers";

export const MEMBER_ATTRIBUTE = "credtrail.member";
export const ROLES_ATTRIBUTE = "credtrail.roles";

/** The key address of a Fabric identity. */
export function identityAddress(mspId: string, id: string): string {
  const hash = keccak256(toUtf8Bytes(`${mspId}\n${id}`));
  return getAddress(`0x${hash.slice(-40)}`);
}
