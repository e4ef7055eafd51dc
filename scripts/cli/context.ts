/**
 * The shared frame of every command: global options (with their environment fallbacks), the
 * member's key, the ledger node and the gateway. Everything is resolved lazily, so a command asks
 * only for what it needs and a missing option is one clear line.
 */
import { readFileSync } from "node:fs";

import { isHexString, JsonRpcProvider, Network, Wallet } from "ethers";

import { isBytes32, memberId as memberIdOfName, toAddress, type Hex } from "../../core/index.js";
import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import { CliError, ExitCode } from "./errors.js";
import { createGatewayClient, type GatewayClient } from "./gatewayClient.js";
import { createOutput, type CliStreams, type Output } from "./output.js";

/** The options every command accepts (see program.ts). */
export interface GlobalOptions {
  gateway?: string;
  audience?: string;
  rpc?: string;
  consortium?: string;
  registry?: string;
  keyFile?: string;
  member?: string;
  chainId?: string;
  json?: boolean;
  progress?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface CliContext {
  readonly out: Output;
  readonly env: Env;
  readonly streams: CliStreams;
  /** The member's signing key (--key-file, or CREDTRAIL_KEY). */
  wallet(): Wallet;
  rpcUrl(): string;
  addresses(): { consortium: string; registry: string };
  chainId(): Promise<bigint>;
  /** The member the key belongs to (--member, or asked of the consortium). */
  memberId(): Promise<Hex>;
  gateway(): GatewayClient;
  /** A provider on --rpc pinned to its chain (no network detection loop); destroy it after use. */
  provider(): Promise<JsonRpcProvider>;
  /** Now, unix seconds. */
  now(): bigint;
}

export interface ContextDeps {
  streams: CliStreams;
  env: Env;
  /** Default: Date.now. */
  clock?: () => number;
  fetch?: typeof fetch;
}

/** An option's value: the flag, else its environment variable; empty counts as not given. */
export function option(given: string | undefined, env: Env, name: string): string | undefined {
  const value = given ?? env[name];
  if (value === undefined || value === "") return undefined;
  return value;
}

function need(value: string | undefined, what: string): string {
  if (value === undefined) throw new CliError(`${what} is required`);
  return value;
}

/** Reads a private key from a file: 0x hex (one line), or an ethers JSON keystore. */
export function readKeyFile(path: string, env: Env): Wallet {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new CliError(
      `cannot read the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  if (text.startsWith("{")) {
    const password = env.CREDTRAIL_KEY_PASSWORD;
    if (password === undefined)
      throw new CliError(`${path} is an encrypted keystore: set CREDTRAIL_KEY_PASSWORD`);
    try {
      return Wallet.fromEncryptedJsonSync(text, password) as Wallet;
    } catch {
      throw new CliError(`cannot decrypt ${path}: wrong CREDTRAIL_KEY_PASSWORD or not a keystore`);
    }
  }
  return walletOf(text, `the key in ${path}`);
}

export function walletOf(text: string, what: string): Wallet {
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!isHexString(hex, 32)) throw new CliError(`${what} is not a 32-byte hex private key`);
  try {
    return new Wallet(hex);
  } catch {
    throw new CliError(`${what} is not a valid private key`);
  }
}

/** A member given as a bytes32 id or by name (its id is keccak256 of the name, core memberId). */
export function parseMember(value: string): Hex {
  if (value.startsWith("0x")) {
    if (!isBytes32(value)) throw new CliError(`member ${value} is not a bytes32 id`);
    return value.toLowerCase() as Hex;
  }
  return memberIdOfName(value);
}

/** eth_chainId of the node, once: a node that does not answer is one line, not a retry loop. */
export async function rpcChainId(url: string, doFetch: typeof fetch): Promise<bigint> {
  let body: { result?: unknown };
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(15_000),
    });
    body = (await response.json()) as { result?: unknown };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new CliError(`cannot reach the ledger node at ${url} (${cause})`, ExitCode.UNAVAILABLE);
  }
  if (typeof body.result !== "string" || !/^0x[0-9a-f]+$/i.test(body.result))
    throw new CliError(
      `${url} is not a JSON-RPC ledger node (no eth_chainId)`,
      ExitCode.UNAVAILABLE,
    );
  return BigInt(body.result);
}

export function createContext(globals: GlobalOptions, deps: ContextDeps): CliContext {
  const { env, streams } = deps;
  const out = createOutput(streams, {
    json: globals.json === true,
    ...(globals.progress === undefined ? {} : { progress: globals.progress }),
  });
  const clock = deps.clock ?? Date.now;
  let wallet: Wallet | undefined;
  let chainId: Promise<bigint> | undefined;
  let member: Promise<Hex> | undefined;
  let gateway: GatewayClient | undefined;

  const ctx: CliContext = {
    out,
    env,
    streams,
    wallet() {
      if (wallet !== undefined) return wallet;
      const file = option(globals.keyFile, env, "CREDTRAIL_KEY_FILE");
      if (file !== undefined) wallet = readKeyFile(file, env);
      else if (env.CREDTRAIL_KEY !== undefined && env.CREDTRAIL_KEY !== "")
        wallet = walletOf(env.CREDTRAIL_KEY.trim(), "CREDTRAIL_KEY");
      else throw new CliError("no key: give --key-file FILE or set CREDTRAIL_KEY");
      return wallet;
    },
    rpcUrl() {
      const url = need(option(globals.rpc, env, "CREDTRAIL_RPC"), "--rpc URL (or CREDTRAIL_RPC)");
      if (!/^https?:\/\//.test(url)) throw new CliError(`--rpc ${url} is not an http(s) URL`);
      return url;
    },
    addresses() {
      const address = (given: string | undefined, name: string, flag: string) => {
        const value = need(option(given, env, name), `${flag} ADDRESS (or ${name})`);
        try {
          return toAddress(value, flag.slice(2));
        } catch {
          throw new CliError(`${flag} ${value} is not an address`);
        }
      };
      return {
        consortium: address(globals.consortium, "CREDTRAIL_CONSORTIUM", "--consortium"),
        registry: address(globals.registry, "CREDTRAIL_REGISTRY", "--registry"),
      };
    },
    chainId() {
      chainId ??= (async () => {
        const given = option(globals.chainId, env, "CREDTRAIL_CHAIN_ID");
        if (given !== undefined) {
          if (!/^\d{1,20}$/.test(given)) throw new CliError(`--chain-id ${given} is not a number`);
          return BigInt(given);
        }
        return rpcChainId(ctx.rpcUrl(), deps.fetch ?? fetch);
      })();
      return chainId;
    },
    memberId() {
      member ??= (async () => {
        const given = option(globals.member, env, "CREDTRAIL_MEMBER");
        if (given !== undefined) return parseMember(given);
        const address = ctx.wallet().address;
        const provider = await ctx.provider();
        try {
          const consortium = Consortium__factory.connect(ctx.addresses().consortium, provider);
          const [id, active] = await consortium.keyOf(address);
          if (/^0x0+$/.test(id))
            throw new CliError(`the key ${address} belongs to no member`, ExitCode.FAILED);
          if (!active) throw new CliError(`the key ${address} is revoked`, ExitCode.FAILED);
          return id.toLowerCase() as Hex;
        } finally {
          provider.destroy();
        }
      })();
      return member;
    },
    gateway() {
      gateway ??= createGatewayClient({
        url: option(globals.gateway, env, "CREDTRAIL_GATEWAY") ?? "http://127.0.0.1:4000",
        audience: option(globals.audience, env, "CREDTRAIL_AUDIENCE"),
        signer: () => ctx.wallet(),
        member: () => ctx.memberId(),
        chainId: () => ctx.chainId(),
        now: () => ctx.now(),
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      });
      return gateway;
    },
    async provider() {
      const network = Network.from(await ctx.chainId());
      return new JsonRpcProvider(ctx.rpcUrl(), network, {
        staticNetwork: network,
        cacheTimeout: -1,
      });
    },
    now: () => BigInt(Math.floor(clock() / 1000)),
  };
  return ctx;
}
