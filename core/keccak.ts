/**
 * keccak256, fast. Batches hash every leaf twice and every tree node once; ethers' keccak256 (pure
 * JavaScript) costs ~50 µs a call on this machine, hash-wasm's WebAssembly keccak ~4 µs. The
 * WebAssembly module compiles asynchronously when this module loads; until it is ready (the first
 * turn of the event loop) the ethers implementation answers, so results never depend on timing
 * and nothing here needs a top-level await (chaincode compiles core to CommonJS).
 */
import { createKeccak, type IHasher } from "hash-wasm";
import { getBytes, keccak256 as ethersKeccak256 } from "ethers";

import type { Hex } from "./abiValues.js";

let hasher: IHasher | undefined;
/** Resolves once the WebAssembly hasher is in use (tests and benchmarks may await it). */
export const keccakReady: Promise<void> = createKeccak(256).then(
  (h) => {
    hasher = h;
  },
  () => {
    // no WebAssembly: stay on the JavaScript implementation
  },
);

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

function hexBytes(hex: string): Uint8Array {
  // Buffer.from skips what is not hex: check first (ethers' getBytes throws a clear error)
  return HEX.test(hex) ? Buffer.from(hex.slice(2), "hex") : getBytes(hex);
}

/** keccak256 of bytes, as bytes (no hex round trips: for trees and double hashes). */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  if (hasher === undefined) return getBytes(ethersKeccak256(data));
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

/** keccak256 of bytes, or of 0x-hex (as ethers' keccak256 takes them); lowercase 0x-hex. */
export function keccak256(data: Uint8Array | string): Hex {
  if (hasher === undefined) return ethersKeccak256(data) as Hex;
  hasher.init();
  hasher.update(typeof data === "string" ? hexBytes(data) : data);
  return `0x${hasher.digest("hex")}`;
}
