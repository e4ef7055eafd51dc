/**
 * The Fabric ledger: the chaincode of chaincode/ on one channel, behind the same `Ledger`
 * interface as the EVM ledger.
 *
 * Transport. The maintained client is @hyperledger/fabric-gateway (fabric-network, its
 * predecessor, is deprecated and archived). Its `connect()` needs the peer's Gateway service,
 * which peers have from Fabric v2.4; the only Fabric the Go proxy serves here is a 2021 snapshot
 * without it (docs/fabric.md). So this adapter speaks the peer and orderer services the Gateway
 * itself is built on — Endorser (ProcessProposal), AtomicBroadcast (Broadcast) and Deliver — with
 * fabric-gateway's signer and hash, and the protobufs of @hyperledger/fabric-protos: endorse on
 * every configured peer, order, wait for the commit; evaluate on one peer; read blocks from a
 * checkpoint. On a v2.4+ network the writer could hand the same calls to fabric-gateway's
 * `Contract.submit` unchanged.
 *
 * Where the Ledger interface assumed the EVM:
 * - `network` is the channel name; `writer(name)` takes the name of a configured identity (an
 *   X.509 certificate and key of an MSP), not a private key; `identity` is the identity's key
 *   address (Consortium:whoAmI).
 * - Block hash = Fabric's block header hash; parentHash = the header's previous hash; timestamp =
 *   the latest transaction timestamp in the block (Fabric blocks carry none). Every block is final:
 *   the stream never yields `reorg`, and follows each block with `finalize`.
 * - `txHash` = "0x" + the transaction id (hex sha256, the same width).
 */
import { createPrivateKey } from "node:crypto";

// fabric-gateway's signer module alone: the package's index loads its own copy of
// @hyperledger/fabric-protos (0.3), whose google-protobuf globals clash in one process with the
// copy fabric-shim and this adapter use (0.2: same message names, different classes)
import { newPrivateKeySigner } from "@hyperledger/fabric-gateway/dist/identity/signers.js";

import { ErrorCode, LedgerError, ValidationError } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import type { Ledger } from "../types.js";
import { createCommitListener, type CommitListener } from "./commitListener.js";
import {
  closePeer,
  connectOrderer,
  connectPeer,
  type FabricNode,
  type OrdererConnection,
  type PeerConnection,
} from "./connections.js";
import { createFabricStream } from "./fabricStream.js";
import { createFabricWriter, evaluate, type FabricWriter } from "./fabricWriter.js";
import { fabricIdentityAddress } from "./identityAddress.js";
import type { SigningIdentity } from "./protocol.js";

export interface FabricIdentity {
  mspId: string;
  /** X.509 certificate, PEM. */
  certificate: string;
  /** PKCS#8 (or SEC1) EC private key, PEM. */
  privateKey: string;
}

export interface FabricLedgerOptions {
  channel: string;
  /** The chaincode's name on the channel. */
  chaincode: string;
  /** Endorsing peers: a submission is endorsed by every one (MAJORITY of two organisations). */
  peers: FabricNode[];
  /** Raft orderers, tried in turn. */
  orderers: FabricNode[];
  /** Identities by name: `writer(name)` submits as one. */
  identities: Record<string, FabricIdentity>;
  /** The identity that reads blocks (default: the first). */
  reader?: string;
  /** Per gRPC request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Ordering plus commit of one submission, orderer failover included. Default 90 s. */
  submitTimeoutMs?: number;
  /** A transaction not committed after this long is sent to the orderers again. Default 15 s. */
  resendAfterMs?: number;
  /** Stream reconnection rounds before it gives up. Default 30. */
  retries?: number;
  /** Base retry delay. Default 250 ms. */
  retryDelayMs?: number;
}

export interface FabricLedger extends Ledger {
  readonly kind: "fabric";
  readonly channel: string;
  writer(name: string): FabricWriter;
  /** The key address of a configured identity (Consortium:whoAmI). */
  addressOf(name: string): Promise<string>;
  /** A read-only chaincode call (e.g. "Registry:record"), as the named identity; JSON text. */
  evaluate(name: string, fn: string, args?: readonly string[]): Promise<string>;
  /** Closes every connection. */
  close(): void;
}

function signingIdentity(name: string, identity: FabricIdentity): SigningIdentity {
  let sign: SigningIdentity["sign"];
  try {
    sign = newPrivateKeySigner(createPrivateKey(identity.privateKey));
  } catch (cause) {
    throw new ValidationError(ErrorCode.KEY_INVALID, `identity ${name}: not a usable EC key`, {
      cause,
    });
  }
  return { mspId: identity.mspId, certificate: identity.certificate, sign };
}

export function createFabricLedger(options: FabricLedgerOptions): FabricLedger {
  const names = Object.keys(options.identities);
  if (names.length === 0 || options.peers.length === 0 || options.orderers.length === 0) {
    throw new LedgerError("a Fabric ledger needs identities, peers and orderers", {
      code: LedgerErrorCode.MISCONFIGURED,
      details: { identities: names.length, peers: options.peers.length },
    });
  }
  const identities = new Map(
    names.map((name) => [name, signingIdentity(name, options.identities[name])]),
  );
  const identityOf = (name: string): SigningIdentity => {
    const identity = identities.get(name);
    if (identity === undefined) {
      throw new LedgerError(`no Fabric identity named ${name}`, {
        code: LedgerErrorCode.MISCONFIGURED,
        details: { name, known: names },
      });
    }
    return identity;
  };
  const settings = {
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    submitTimeoutMs: options.submitTimeoutMs ?? 90_000,
    resendAfterMs: options.resendAfterMs ?? 15_000,
    retries: options.retries ?? 30,
    retryDelayMs: options.retryDelayMs ?? 250,
  };
  const peers: PeerConnection[] = options.peers.map(connectPeer);
  const orderers: OrdererConnection[] = options.orderers.map(connectOrderer);
  const reader = identityOf(options.reader ?? names[0]);
  const base = {
    channel: options.channel,
    chaincode: options.chaincode,
    peers,
    requestTimeoutMs: settings.requestTimeoutMs,
  };
  const { head, stream } = createFabricStream({
    peers,
    identity: reader,
    channel: options.channel,
    chaincode: options.chaincode,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
  });
  let commits: CommitListener | undefined;
  const addresses = new Map<string, Promise<string>>();

  const addressOf = (name: string): Promise<string> => {
    let address = addresses.get(name);
    if (address === undefined) {
      address = evaluate({ ...base, identity: identityOf(name) }, "Consortium:whoAmI", []).then(
        (text) => (JSON.parse(text) as { address: string }).address,
      );
      address.catch(() => addresses.delete(name));
      addresses.set(name, address);
    }
    return address;
  };

  return {
    kind: "fabric",
    network: options.channel,
    channel: options.channel,
    head,
    stream,
    addressOf,
    evaluate: (name, fn, args = []) => evaluate({ ...base, identity: identityOf(name) }, fn, args),
    writer(name: string): FabricWriter {
      const identity = identityOf(name);
      commits ??= createCommitListener({
        peers,
        identity: reader,
        channel: options.channel,
        retryDelayMs: settings.retryDelayMs,
      });
      return createFabricWriter({
        ...base,
        identity,
        address: fabricIdentityAddress(identity.mspId, identity.certificate),
        orderers,
        commits,
        submitTimeoutMs: settings.submitTimeoutMs,
        resendAfterMs: settings.resendAfterMs,
        retryDelayMs: settings.retryDelayMs,
      });
    },
    close() {
      commits?.close();
      for (const p of peers) closePeer(p);
      for (const o of orderers) o.broadcast.close();
    },
  };
}
