/**
 * gRPC connections to the network's nodes: the peers' Endorser and Deliver services and the
 * orderers' AtomicBroadcast service (TLS, the organisations' TLS CA certificates as roots).
 */
import * as grpc from "@grpc/grpc-js";
import { common, orderer, peer } from "@hyperledger/fabric-protos";

import { LedgerError } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";

export interface FabricNode {
  /** host:port */
  address: string;
  /** The TLS CA certificate (PEM) the node's server certificate is issued by. */
  tlsCaCertificate: string;
  /** TLS host name to expect, when it differs from the address's host. */
  hostnameOverride?: string;
}

export interface PeerConnection {
  address: string;
  endorser: peer.EndorserClient;
  deliver: peer.DeliverClient;
}

export interface OrdererConnection {
  address: string;
  broadcast: orderer.AtomicBroadcastClient;
}

/** Reconnect soon after a node comes back (gRPC's default backoff grows to two minutes). */
const RECONNECT = {
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 2_000,
};

function clientOptions(node: FabricNode): grpc.ClientOptions {
  return node.hostnameOverride === undefined
    ? RECONNECT
    : { ...RECONNECT, "grpc.ssl_target_name_override": node.hostnameOverride };
}

export function connectPeer(node: FabricNode): PeerConnection {
  const credentials = grpc.credentials.createSsl(Buffer.from(node.tlsCaCertificate));
  return {
    address: node.address,
    endorser: new peer.EndorserClient(node.address, credentials, clientOptions(node)),
    deliver: new peer.DeliverClient(node.address, credentials, clientOptions(node)),
  };
}

export function connectOrderer(node: FabricNode): OrdererConnection {
  const credentials = grpc.credentials.createSsl(Buffer.from(node.tlsCaCertificate));
  return {
    address: node.address,
    broadcast: new orderer.AtomicBroadcastClient(node.address, credentials, clientOptions(node)),
  };
}

export function closePeer(connection: PeerConnection): void {
  connection.endorser.close();
  connection.deliver.close();
}

/** A proposal to one peer (deadline in ms). */
export function processProposal(
  connection: PeerConnection,
  signed: peer.SignedProposal,
  timeoutMs: number,
): Promise<peer.ProposalResponse> {
  return new Promise((resolve, reject) => {
    connection.endorser.processProposal(
      signed,
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        if (error !== null) reject(error);
        else if (response === undefined) reject(new Error("no proposal response"));
        else resolve(response);
      },
    );
  });
}

/** Sends one envelope to an orderer; resolves with the orderer's status (200 = accepted). */
export function broadcastEnvelope(
  connection: OrdererConnection,
  envelope: common.Envelope,
  timeoutMs: number,
): Promise<{ status: number; info: string }> {
  return new Promise((resolve, reject) => {
    const call = connection.broadcast.broadcast({ deadline: Date.now() + timeoutMs });
    let settled = false;
    call.on("data", (response: orderer.BroadcastResponse) => {
      settled = true;
      resolve({ status: response.getStatus(), info: response.getInfo() });
      call.end();
    });
    call.on("error", (error: Error) => {
      if (!settled) reject(error);
    });
    call.on("end", () => {
      if (!settled) reject(new Error("the orderer closed the stream without an answer"));
    });
    call.write(envelope);
  });
}

/**
 * Blocks from a peer's Deliver service for a signed seek envelope, until the seek's stop block
 * (then the peer answers SUCCESS and this ends) or until `signal` aborts.
 */
export async function* deliverBlocks(
  connection: PeerConnection,
  seek: common.Envelope,
  signal?: AbortSignal,
): AsyncGenerator<common.Block> {
  const call = connection.deliver.deliver();
  const onAbort = () => {
    call.cancel();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    call.write(seek);
    for await (const response of call as AsyncIterable<peer.DeliverResponse>) {
      if (response.getTypeCase() === peer.DeliverResponse.TypeCase.BLOCK) {
        const block = response.getBlock();
        if (block !== undefined) yield block;
      } else if (response.getTypeCase() === peer.DeliverResponse.TypeCase.STATUS) {
        const status = response.getStatus();
        if (status === common.Status.SUCCESS) return;
        throw new LedgerError(`the peer ${connection.address} refused the block request`, {
          code: LedgerErrorCode.UNAVAILABLE,
          details: { peer: connection.address, status },
        });
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    call.cancel();
  }
}
