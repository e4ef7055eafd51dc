/**
 * ERC-2771 forward requests: how a member has a node relay any registry call on its behalf (and
 * pay the gas). The member signs an EIP-712 `ForwardRequest` with one of its registered keys; the
 * node relays it through the CredtrailForwarder (OpenZeppelin ERC2771Forwarder), and the registry
 * sees the member's key as the caller, with every check it applies to a direct call.
 *
 * The forwarder's nonces are per signer and sequential (read them with `forwarder.nonces(from)`);
 * the deadline (unix seconds, uint48) bounds how long a signed request can be relayed.
 */
import { TypedDataEncoder } from "ethers";

import type { Hex, Uint64Like } from "./abiValues.js";
import { toAddress, toHexBytes, toUint } from "./abiValues.js";
import type { Eip712Types, RegistryDomain, TypedDataSigner } from "./eip712.js";
import { checkSignature, recoverSigner } from "./eip712.js";
import { ErrorCode, ValidationError } from "./errors.js";

export const FORWARDER_DOMAIN_NAME = "credtrail-forwarder";
export const FORWARDER_DOMAIN_VERSION = "1";
/** The most gas a relayed request may ask for (a block of a consortium chain holds 30M). */
export const MAX_FORWARD_GAS = 15_000_000n;

/** The forwarder's EIP-712 domain. */
export function forwarderDomain(chainId: bigint | number, forwarder: string): RegistryDomain {
  return {
    name: FORWARDER_DOMAIN_NAME,
    version: FORWARDER_DOMAIN_VERSION,
    chainId: toUint(chainId, 256, "chainId"),
    verifyingContract: toAddress(forwarder, "forwarder"),
  };
}

/** EIP-712 types of OpenZeppelin's ERC2771Forwarder `ForwardRequest`. */
export const FORWARD_REQUEST_TYPES: Eip712Types = {
  ForwardRequest: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "gas", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
    { name: "data", type: "bytes" },
  ],
};

export interface ForwardRequestInput {
  from: string;
  to: string;
  /** wei sent along; the registry takes none, so 0 (the default). */
  value?: bigint | number | string;
  gas: bigint | number | string;
  nonce: bigint | number | string;
  deadline: Uint64Like;
  data: string;
}

export interface ForwardRequest {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  nonce: bigint;
  deadline: bigint;
  data: Hex;
}

/** A forward request with its signature: what a member hands to a node. */
export interface SignedForwardRequest extends ForwardRequest {
  signature: Hex;
}

/** Checks and normalises a forward request; throws ValidationError with the field at fault. */
export function normalizeForwardRequest(input: ForwardRequestInput): ForwardRequest {
  const value = toUint(input.value ?? 0n, 256, "value");
  if (value !== 0n) {
    throw new ValidationError(
      ErrorCode.FORWARD_REQUEST_INVALID,
      "value must be 0: the registry is not payable",
      {
        details: { field: "value" },
      },
    );
  }
  const gas = toUint(input.gas, 256, "gas");
  if (gas === 0n || gas > MAX_FORWARD_GAS) {
    throw new ValidationError(
      ErrorCode.FORWARD_REQUEST_INVALID,
      `gas must be between 1 and ${MAX_FORWARD_GAS}`,
      { details: { field: "gas", gas: gas.toString() } },
    );
  }
  const data = toHexBytes(input.data, "data");
  if (data.length < 10) {
    throw new ValidationError(
      ErrorCode.FORWARD_REQUEST_INVALID,
      "data must hold at least a function selector",
      {
        details: { field: "data" },
      },
    );
  }
  return {
    from: toAddress(input.from, "from"),
    to: toAddress(input.to, "to"),
    value,
    gas,
    nonce: toUint(input.nonce, 256, "nonce"),
    deadline: toUint(input.deadline, 48, "deadline"),
    data: data.toLowerCase() as Hex,
  };
}

/** The EIP-712 digest the forwarder checks. */
export function forwardRequestDigest(domain: RegistryDomain, input: ForwardRequestInput): Hex {
  const request = normalizeForwardRequest(input);
  return TypedDataEncoder.hash(domain, FORWARD_REQUEST_TYPES, { ...request }) as Hex;
}

/** Signs a forward request; returns it with the 65-byte signature (lowercase hex). */
export async function signForwardRequest(
  signer: TypedDataSigner,
  domain: RegistryDomain,
  input: ForwardRequestInput,
): Promise<SignedForwardRequest> {
  const request = normalizeForwardRequest(input);
  const signature = await signer.signTypedData(domain, FORWARD_REQUEST_TYPES, { ...request });
  return { ...request, signature: checkSignature(signature).serialized.toLowerCase() as Hex };
}

/** The key that signed a forward request (checksummed); throws SIGNATURE_INVALID if malformed. */
export function recoverForwardRequestSigner(
  domain: RegistryDomain,
  input: ForwardRequestInput,
  signature: string,
): string {
  return recoverSigner(forwardRequestDigest(domain, input), signature);
}
