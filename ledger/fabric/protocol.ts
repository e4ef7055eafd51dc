/**
 * The Fabric wire messages the adapter builds and reads (protobufs of @hyperledger/fabric-protos):
 * signed proposals, transaction envelopes, deliver seek requests, and blocks.
 *
 * A block's hash is Fabric's own: sha256 of the DER encoding of SEQUENCE { INTEGER number,
 * OCTET STRING previousHash, OCTET STRING dataHash } (protoutil.BlockHeaderBytes), so block n+1's
 * `previousHash` equals the hash computed for block n (the stream checks it).
 */
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";

import { common, msp, orderer, peer } from "@hyperledger/fabric-protos";

import type { Hex } from "../../core/index.js";

/** Signs a sha256 digest (fabric-gateway's `signers.newPrivateKeySigner`: low-S DER ECDSA). */
export type DigestSigner = (digest: Uint8Array) => Promise<Uint8Array>;

export interface SigningIdentity {
  mspId: string;
  /** The X.509 certificate, PEM. */
  certificate: string;
  sign: DigestSigner;
}

export const sha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function serializedIdentity(identity: SigningIdentity): Uint8Array {
  const id = new msp.SerializedIdentity();
  id.setMspid(identity.mspId);
  id.setIdBytes(new TextEncoder().encode(identity.certificate));
  return id.serializeBinary();
}

interface TimestampMessage {
  setSeconds(value: number): void;
  setNanos(value: number): void;
  getSeconds(): number;
}
// google-protobuf ships no types; fabric-protos' messages take its Timestamp
const { Timestamp } = createRequire(import.meta.url)(
  "google-protobuf/google/protobuf/timestamp_pb.js",
) as { Timestamp: new () => TimestampMessage };

function timestampNow(): TimestampMessage {
  const now = Date.now();
  const ts = new Timestamp();
  ts.setSeconds(Math.floor(now / 1000));
  ts.setNanos((now % 1000) * 1_000_000);
  return ts;
}

/** A header for `type` on `channel`: the transaction id is sha256(nonce ‖ creator), as peers check. */
function header(
  identity: SigningIdentity,
  channel: string,
  type: number,
  extension?: Uint8Array,
): { header: common.Header; signatureHeader: Uint8Array; txId: string } {
  const creator = serializedIdentity(identity);
  const nonce = new Uint8Array(randomBytes(24));
  const txId = hex(sha256(new Uint8Array([...nonce, ...creator])));
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(type);
  channelHeader.setChannelId(channel);
  channelHeader.setTxId(txId);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(timestampNow() as Parameters<typeof channelHeader.setTimestamp>[0]);
  if (extension !== undefined) channelHeader.setExtension$(extension);
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);
  const h = new common.Header();
  h.setChannelHeader(channelHeader.serializeBinary());
  h.setSignatureHeader(signatureHeader.serializeBinary());
  return { header: h, signatureHeader: signatureHeader.serializeBinary(), txId };
}

/** A chaincode invocation, signed: what endorsers (and an evaluating peer) receive. */
export interface Proposal {
  txId: string;
  signed: peer.SignedProposal;
  header: common.Header;
  signatureHeader: Uint8Array;
  /** ChaincodeProposalPayload bytes (no transient data), also part of the transaction. */
  payload: Uint8Array;
}

export async function buildProposal(
  identity: SigningIdentity,
  channel: string,
  chaincode: string,
  fn: string,
  args: readonly string[],
): Promise<Proposal> {
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(chaincode);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);
  const {
    header: h,
    signatureHeader,
    txId,
  } = header(
    identity,
    channel,
    common.HeaderType.ENDORSER_TRANSACTION,
    extension.serializeBinary(),
  );
  const input = new peer.ChaincodeInput();
  const encoder = new TextEncoder();
  input.setArgsList([fn, ...args].map((a) => encoder.encode(a)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const proposalPayload = new peer.ChaincodeProposalPayload();
  proposalPayload.setInput(invocation.serializeBinary());
  const payload = proposalPayload.serializeBinary();
  const proposal = new peer.Proposal();
  proposal.setHeader(h.serializeBinary());
  proposal.setPayload(payload);
  const bytes = proposal.serializeBinary();
  const signed = new peer.SignedProposal();
  signed.setProposalBytes(bytes);
  signed.setSignature(await identity.sign(sha256(bytes)));
  return { txId, signed, header: h, signatureHeader, payload };
}

/** The transaction envelope of an endorsed proposal (every response carries the same payload). */
export async function buildTransaction(
  identity: SigningIdentity,
  proposal: Proposal,
  responses: readonly peer.ProposalResponse[],
): Promise<common.Envelope> {
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responses[0].getPayload_asU8());
  endorsed.setEndorsementsList(
    responses.map((r) => r.getEndorsement()).filter((e) => e !== undefined),
  );
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(proposal.payload);
  actionPayload.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setHeader(proposal.signatureHeader);
  action.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([action]);
  const payload = new common.Payload();
  payload.setHeader(proposal.header);
  payload.setData(transaction.serializeBinary());
  return signedEnvelope(identity, payload.serializeBinary());
}

async function signedEnvelope(
  identity: SigningIdentity,
  payload: Uint8Array,
): Promise<common.Envelope> {
  const envelope = new common.Envelope();
  envelope.setPayload(payload);
  envelope.setSignature(await identity.sign(sha256(payload)));
  return envelope;
}

/** The largest block number a seek names ("until the end of time"). */
const SEEK_FOREVER = Number.MAX_SAFE_INTEGER;

/** A deliver request: blocks from `start` (or the newest) to `stop` (or forever), waiting for new ones. */
export async function buildSeek(
  identity: SigningIdentity,
  channel: string,
  start: bigint | "newest",
  stop: bigint | "newest" | "forever",
): Promise<common.Envelope> {
  const position = (at: bigint | "newest" | "forever") => {
    const p = new orderer.SeekPosition();
    if (at === "newest") {
      p.setNewest(new orderer.SeekNewest());
    } else {
      const specified = new orderer.SeekSpecified();
      specified.setNumber(at === "forever" ? SEEK_FOREVER : Number(at));
      p.setSpecified(specified);
    }
    return p;
  };
  const seek = new orderer.SeekInfo();
  seek.setStart(position(start));
  seek.setStop(position(stop));
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
  const { header: h } = header(identity, channel, common.HeaderType.DELIVER_SEEK_INFO);
  const payload = new common.Payload();
  payload.setHeader(h);
  payload.setData(seek.serializeBinary());
  return signedEnvelope(identity, payload.serializeBinary());
}

/** DER length octets. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derInteger(value: bigint): number[] {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return [0x02, ...derLength(bytes.length), ...bytes];
}

const derOctets = (bytes: Uint8Array): number[] => [0x04, ...derLength(bytes.length), ...bytes];

/** Fabric's block hash (protoutil.BlockHeaderHash). */
export function blockHeaderHash(number: bigint, previousHash: Uint8Array, dataHash: Uint8Array) {
  const body = [...derInteger(number), ...derOctets(previousHash), ...derOctets(dataHash)];
  return sha256(new Uint8Array([0x30, ...derLength(body.length), ...body]));
}

export const toHex = (bytes: Uint8Array): Hex => `0x${hex(bytes)}`;

/** One valid transaction's chaincode event, as a block carries it. */
export interface BlockTransaction {
  txId: string;
  /** Index of the transaction in the block. */
  index: number;
  /** peer.TxValidationCode (0 = VALID). */
  validationCode: number;
  /** The chaincode event, when the transaction is an endorser transaction that set one. */
  event?: { chaincode: string; name: string; payload: Uint8Array };
  /** The client's timestamp of the transaction (unix seconds). */
  timestamp: bigint;
}

export interface ParsedBlock {
  number: bigint;
  hash: Hex;
  previousHash: Hex;
  transactions: BlockTransaction[];
}

export function parseBlock(block: common.Block): ParsedBlock {
  const h = block.getHeader();
  if (h === undefined) throw new Error("a block without a header");
  const number = BigInt(h.getNumber());
  const previous = h.getPreviousHash_asU8();
  const hash = blockHeaderHash(number, previous, h.getDataHash_asU8());
  const filter =
    block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ??
    new Uint8Array();
  const transactions = (block.getData()?.getDataList_asU8() ?? []).map((bytes, index) => {
    const envelope = common.Envelope.deserializeBinary(bytes);
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(
      payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
    );
    const tx: BlockTransaction = {
      txId: channelHeader.getTxId(),
      index,
      // a block without the filter (the genesis block) holds only valid config
      validationCode: filter.length > index ? filter[index] : 0,
      timestamp: BigInt(
        (channelHeader.getTimestamp() as TimestampMessage | undefined)?.getSeconds() ?? 0,
      ),
    };
    if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return tx;
    const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
    for (const action of transaction.getActionsList()) {
      const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      const responsePayload = actionPayload.getAction()?.getProposalResponsePayload_asU8();
      if (responsePayload === undefined) continue;
      const extension =
        peer.ProposalResponsePayload.deserializeBinary(responsePayload).getExtension_asU8();
      const eventBytes = peer.ChaincodeAction.deserializeBinary(extension).getEvents_asU8();
      if (eventBytes.length === 0) continue;
      const event = peer.ChaincodeEvent.deserializeBinary(eventBytes);
      tx.event = {
        chaincode: event.getChaincodeId(),
        name: event.getEventName(),
        payload: event.getPayload_asU8(),
      };
    }
    return tx;
  });
  return { number, hash: toHex(hash), previousHash: toHex(previous), transactions };
}

/** The chaincode event of an endorsement (what the transaction will emit once valid). */
export function endorsedEvent(
  response: peer.ProposalResponse,
): { chaincode: string; name: string; payload: Uint8Array } | undefined {
  const extension = peer.ProposalResponsePayload.deserializeBinary(
    response.getPayload_asU8(),
  ).getExtension_asU8();
  const bytes = peer.ChaincodeAction.deserializeBinary(extension).getEvents_asU8();
  if (bytes.length === 0) return undefined;
  const event = peer.ChaincodeEvent.deserializeBinary(bytes);
  return {
    chaincode: event.getChaincodeId(),
    name: event.getEventName(),
    payload: event.getPayload_asU8(),
  };
}
