/**
 * Gateway authentication: login tokens (encoding, strict decoding) and the authenticator against a
 * real indexer fed with synthetic membership events — every refusal with its code, and a signature
 * cache that never caches membership.
 */
import { expect } from "chai";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";

import type { Hex } from "../../core/index.js";
import {
  UnauthorizedError,
  gatewayDomain,
  normalizeLoginMessage,
  signLogin,
} from "../../core/index.js";
import {
  AuthErrorCode,
  MAX_TOKEN_LENGTH,
  bearer,
  createAuthenticator,
  createExpiringLru,
  createLoginToken,
  decodeLoginToken,
  defaultRecoverSigner,
  encodeLoginToken,
  type AuthenticatorOptions,
} from "../../gateway/auth/index.js";
import type { Authenticator } from "../../gateway/types.js";
import type { Indexer } from "../../indexer/index.js";
import type { Chain } from "../indexer/fixtures.js";
import {
  M,
  ROLES,
  T0,
  consortiumGenesis,
  createChain,
  openIndexer,
  tempDirs,
} from "../indexer/fixtures.js";

const CHAIN_ID = 31337n;
const AUDIENCE = "https://gateway.credtrail.test";
const wallet = (label: string): Wallet => new Wallet(keccak256(toUtf8Bytes(`auth-test:${label}`)));

const W = {
  bank: wallet("bank"),
  bankOld: wallet("bankOld"),
  tax: wallet("tax"),
  court: wallet("court"),
  outsider: wallet("outsider"),
};

async function expectCode(promise: Promise<unknown>, code: string): Promise<UnauthorizedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).code).to.equal(code);
    return error as UnauthorizedError;
  }
  expect.fail(`expected ${code}`);
}

function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

describe("gateway auth: login tokens", () => {
  const now = T0;

  it("round-trips: createLoginToken → decodeLoginToken", async () => {
    const token = await createLoginToken(W.bank, {
      chainId: CHAIN_ID,
      member: M.bank,
      audience: AUDIENCE,
      lifetimeSeconds: 600,
      now,
      nonce: `0x${"11".repeat(32)}`,
    });
    expect(token).to.match(/^[A-Za-z0-9_-]+$/);
    const json = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    expect(Object.keys(json)).to.deep.equal([
      "key",
      "member",
      "audience",
      "issuedAt",
      "expiresAt",
      "nonce",
      "signature",
    ]);
    expect(json.issuedAt).to.equal(now.toString());
    expect(json.expiresAt).to.equal((now + 600n).toString());
    const decoded = decodeLoginToken(token);
    expect(decoded.message).to.deep.equal({
      key: W.bank.address,
      member: M.bank,
      audience: AUDIENCE,
      issuedAt: now,
      expiresAt: now + 600n,
      nonce: `0x${"11".repeat(32)}`,
    });
    expect(decoded.signature).to.match(/^0x[0-9a-f]{130}$/);
    expect(encodeLoginToken(decoded)).to.equal(token);
    expect(bearer(token)).to.equal(`Bearer ${token}`);
  });

  it("chooses a fresh random nonce when none is given", async () => {
    const params = {
      chainId: CHAIN_ID,
      member: M.bank,
      audience: AUDIENCE,
      lifetimeSeconds: 60,
      now,
    };
    const a = decodeLoginToken(await createLoginToken(W.bank, params));
    const b = decodeLoginToken(await createLoginToken(W.bank, params));
    expect(a.message.nonce).to.match(/^0x[0-9a-f]{64}$/);
    expect(a.message.nonce).to.not.equal(b.message.nonce);
  });

  it("refuses malformed tokens with TOKEN_INVALID", async () => {
    const good = await createLoginToken(W.bank, {
      chainId: CHAIN_ID,
      member: M.bank,
      audience: AUDIENCE,
      lifetimeSeconds: 600,
      now,
    });
    const fields = JSON.parse(Buffer.from(good, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const variant = (change: Record<string, unknown>, drop?: string): string => {
      const copy: Record<string, unknown> = { ...fields, ...change };
      if (drop !== undefined) Reflect.deleteProperty(copy, drop);
      return b64(JSON.stringify(copy));
    };
    const bad: Record<string, string> = {
      empty: "",
      notBase64: "abc!def",
      padded: `${good}=`,
      nonCanonicalBase64: `${b64("{}").slice(0, -1)}F`,
      notJson: b64("not json"),
      jsonArray: b64("[1,2]"),
      jsonNull: b64("null"),
      notUtf8: Buffer.from([0xff, 0xfe, 0x7b]).toString("base64url"),
      oversize: "A".repeat(MAX_TOKEN_LENGTH + 1),
      extraField: variant({ role: "admin" }),
      missingField: variant({}, "nonce"),
      numberTime: variant({ issuedAt: Number(now) }),
      leadingZero: variant({ issuedAt: `0${now}` }),
      negativeTime: variant({ expiresAt: "-1" }),
      hugeTime: variant({ expiresAt: (2n ** 64n).toString() }),
      badKey: variant({ key: "0x1234" }),
      badMember: variant({ member: "bank" }),
      emptyAudience: variant({ audience: "" }),
      badNonce: variant({ nonce: "0x00" }),
      expiresBeforeIssued: variant({ expiresAt: (now - 1n).toString() }),
      shortSignature: variant({ signature: "0x1234" }),
      badV: variant({ signature: `0x${"11".repeat(64)}1d` }),
    };
    for (const [name, token] of Object.entries(bad)) {
      try {
        decodeLoginToken(token);
        expect.fail(`${name} was accepted`);
      } catch (error) {
        expect(error, name).to.be.instanceOf(UnauthorizedError);
        expect((error as UnauthorizedError).code, name).to.equal(AuthErrorCode.TOKEN_INVALID);
      }
    }
  });
});

describe("gateway auth: authenticator", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  let nowMs: number;
  let recoveries: number;

  const make = (options: Partial<AuthenticatorOptions> = {}): Authenticator =>
    createAuthenticator({
      reads: indexer,
      chainId: CHAIN_ID,
      audience: AUDIENCE,
      clock: () => nowMs,
      recoverSigner: (digest, signature) => {
        recoveries++;
        return defaultRecoverSigner(digest, signature);
      },
      ...options,
    });

  const token = (
    signer: Wallet,
    member: Hex,
    options: { lifetimeSeconds?: number; now?: bigint; audience?: string } = {},
  ): Promise<string> =>
    createLoginToken(signer, {
      chainId: CHAIN_ID,
      member,
      audience: options.audience ?? AUDIENCE,
      lifetimeSeconds: options.lifetimeSeconds ?? 900,
      now: options.now ?? BigInt(Math.floor(nowMs / 1000)),
    });

  beforeEach(async () => {
    nowMs = Number(T0 + 10_000n) * 1000;
    recoveries = 0;
    chain = createChain();
    ({ indexer } = await openIndexer(dirs, { clock: () => nowMs }));
    await indexer.handle(chain.add(consortiumGenesis()));
    await indexer.handle(
      chain.add([
        { kind: "KeyAdded", member: M.bank, key: W.bank.address },
        { kind: "KeyAdded", member: M.bank, key: W.bankOld.address },
        { kind: "KeyAdded", member: M.tax, key: W.tax.address },
        { kind: "KeyAdded", member: M.court, key: W.court.address },
      ]),
    );
    await indexer.handle(
      chain.add([
        {
          kind: "KeyRevoked",
          member: M.bank,
          key: W.bankOld.address,
          revokedBy: W.bank.address,
        },
        { kind: "MemberSuspended", member: M.court },
      ]),
    );
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  it("resolves a valid token to the member's principal, roles from the ledger", async () => {
    const t = await token(W.bank, M.bank);
    const principal = await make().authenticate(bearer(t));
    expect(principal).to.deep.equal({
      memberId: M.bank,
      memberName: "Bank A",
      roles: ROLES.bank,
      key: W.bank.address,
      tokenExpiresAt: BigInt(Math.floor(nowMs / 1000)) + 900n,
    });
    // the scheme is case-insensitive
    expect((await make().authenticate(`bearer ${t}`))?.memberId).to.equal(M.bank);
  });

  it("treats an absent header as anonymous, a non-bearer one as TOKEN_INVALID", async () => {
    const auth = make();
    expect(await auth.authenticate(undefined)).to.equal(null);
    expect(await auth.authenticate("")).to.equal(null);
    await expectCode(auth.authenticate("Basic dXNlcjpwYXNz"), AuthErrorCode.TOKEN_INVALID);
    await expectCode(auth.authenticate("Bearer"), AuthErrorCode.TOKEN_INVALID);
    await expectCode(auth.authenticate("Bearer a b"), AuthErrorCode.TOKEN_INVALID);
    await expectCode(auth.authenticate("Bearer !!!"), AuthErrorCode.TOKEN_INVALID);
  });

  it("refuses a token for another audience", async () => {
    const t = await token(W.bank, M.bank, { audience: "https://other.gateway" });
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.AUDIENCE_MISMATCH);
  });

  it("refuses an expired token (beyond the clock skew) but tolerates the skew", async () => {
    const t = await token(W.bank, M.bank, { lifetimeSeconds: 100 });
    const auth = make({ clockSkewSeconds: 60 });
    nowMs += 150_000; // 50 s after expiry: within the skew
    expect(await auth.authenticate(bearer(t))).to.not.equal(null);
    nowMs += 10_000; // 60 s after expiry
    const error = await expectCode(auth.authenticate(bearer(t)), AuthErrorCode.TOKEN_EXPIRED);
    expect(error.details).to.have.property("expiresAt");
  });

  it("refuses a token issued in the future (beyond the skew)", async () => {
    const future = BigInt(Math.floor(nowMs / 1000)) + 120n;
    const t = await token(W.bank, M.bank, { now: future });
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.TOKEN_INVALID);
    const nearFuture = BigInt(Math.floor(nowMs / 1000)) + 30n;
    const ok = await token(W.bank, M.bank, { now: nearFuture });
    expect(await make().authenticate(bearer(ok))).to.not.equal(null);
  });

  it("refuses a token that lives longer than the maximum", async () => {
    const t = await token(W.bank, M.bank, { lifetimeSeconds: 3601 });
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.TOKEN_INVALID);
    const shorter = make({ maxLifetimeSeconds: 300 });
    const t2 = await token(W.bank, M.bank, { lifetimeSeconds: 301 });
    await expectCode(shorter.authenticate(bearer(t2)), AuthErrorCode.TOKEN_INVALID);
  });

  it("refuses a message signed by another key than the one it names", async () => {
    const message = normalizeLoginMessage({
      key: W.bank.address,
      member: M.bank,
      audience: AUDIENCE,
      issuedAt: BigInt(Math.floor(nowMs / 1000)),
      expiresAt: BigInt(Math.floor(nowMs / 1000)) + 600n,
      nonce: `0x${"22".repeat(32)}`,
    });
    const signature = await signLogin(W.outsider, gatewayDomain(CHAIN_ID), message);
    const forged = encodeLoginToken({ message, signature });
    await expectCode(make().authenticate(bearer(forged)), AuthErrorCode.TOKEN_INVALID);
    // a signature for another chain does not verify either
    const otherChain = await signLogin(W.bank, gatewayDomain(1n), message);
    await expectCode(
      make().authenticate(bearer(encodeLoginToken({ message, signature: otherChain }))),
      AuthErrorCode.TOKEN_INVALID,
    );
    // a tampered field breaks the signature
    const good = decodeLoginToken(await token(W.bank, M.bank));
    const tampered = encodeLoginToken({
      ...good,
      message: { ...good.message, expiresAt: good.message.expiresAt + 1n },
    });
    await expectCode(make().authenticate(bearer(tampered)), AuthErrorCode.TOKEN_INVALID);
  });

  it("refuses a key that is not registered", async () => {
    const t = await token(W.outsider, M.bank);
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.KEY_UNKNOWN);
  });

  it("refuses a key registered to another member than the token claims", async () => {
    const t = await token(W.tax, M.bank);
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.KEY_UNKNOWN);
    expect(await make().authenticate(bearer(await token(W.tax, M.tax)))).to.include({
      memberId: M.tax,
      roles: ROLES.tax,
    });
  });

  it("refuses a revoked (rotated-out) key", async () => {
    const t = await token(W.bankOld, M.bank);
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.KEY_REVOKED);
  });

  it("refuses a suspended member", async () => {
    const t = await token(W.court, M.court);
    await expectCode(make().authenticate(bearer(t)), AuthErrorCode.MEMBER_SUSPENDED);
  });

  it("caches the signature check, never the membership", async () => {
    const auth = make();
    const t = bearer(await token(W.bank, M.bank));
    expect(await auth.authenticate(t)).to.not.equal(null);
    expect(recoveries).to.equal(1);
    expect(await auth.authenticate(t)).to.not.equal(null);
    expect(recoveries).to.equal(1);

    // the member is suspended on the ledger: the next request is refused at once
    await indexer.handle(chain.add([{ kind: "MemberSuspended", member: M.bank }]));
    await expectCode(auth.authenticate(t), AuthErrorCode.MEMBER_SUSPENDED);
    expect(recoveries).to.equal(1);

    // reinstated, then its key revoked
    await indexer.handle(chain.add([{ kind: "MemberReinstated", member: M.bank }]));
    expect(await auth.authenticate(t)).to.not.equal(null);
    await indexer.handle(
      chain.add([
        { kind: "KeyRevoked", member: M.bank, key: W.bank.address, revokedBy: W.bank.address },
      ]),
    );
    await expectCode(auth.authenticate(t), AuthErrorCode.KEY_REVOKED);

    expect(recoveries).to.equal(1);

    // expiry is still checked: a token past its expiry is refused (and dropped from the cache)
    nowMs += 2 * 3600 * 1000;
    await expectCode(auth.authenticate(t), AuthErrorCode.TOKEN_EXPIRED);
  });

  it("caches only tokens that were accepted (strangers cannot fill the cache)", async () => {
    const auth = make();
    const unknown = bearer(await token(W.outsider, M.bank));
    await expectCode(auth.authenticate(unknown), AuthErrorCode.KEY_UNKNOWN);
    await expectCode(auth.authenticate(unknown), AuthErrorCode.KEY_UNKNOWN);
    expect(recoveries).to.equal(2);
    const tooLong = bearer(await token(W.bank, M.bank, { lifetimeSeconds: 7200 }));
    await expectCode(auth.authenticate(tooLong), AuthErrorCode.TOKEN_INVALID);
    await expectCode(auth.authenticate(tooLong), AuthErrorCode.TOKEN_INVALID);
    expect(recoveries).to.equal(4);

    const message = decodeLoginToken(await token(W.bank, M.bank)).message;
    const signature = await signLogin(W.outsider, gatewayDomain(CHAIN_ID), message);
    const forged = bearer(encodeLoginToken({ message, signature }));
    await expectCode(auth.authenticate(forged), AuthErrorCode.TOKEN_INVALID);
    await expectCode(auth.authenticate(forged), AuthErrorCode.TOKEN_INVALID);
    expect(recoveries).to.equal(6);
    await expectCode(
      auth.authenticate(`Bearer ${"A".repeat(MAX_TOKEN_LENGTH * 2)}`),
      AuthErrorCode.TOKEN_INVALID,
    );
  });

  it("bounds the cache (LRU)", async () => {
    const auth = make({ cacheSize: 1 });
    const a = bearer(await token(W.bank, M.bank));
    const b = bearer(await token(W.tax, M.tax));
    await auth.authenticate(a);
    await auth.authenticate(b); // evicts a
    await auth.authenticate(b);
    expect(recoveries).to.equal(2);
    await auth.authenticate(a);
    expect(recoveries).to.equal(3);
  });

  it("works with the cache disabled", async () => {
    const auth = make({ cacheSize: 0 });
    const t = bearer(await token(W.bank, M.bank));
    await auth.authenticate(t);
    await auth.authenticate(t);
    expect(recoveries).to.equal(2);
  });
});

describe("gateway auth: expiring LRU", () => {
  it("expires entries and evicts the least recently used", () => {
    const lru = createExpiringLru<number>(2);
    lru.set("a", 1, 100);
    lru.set("b", 2, 100);
    expect(lru.get("a", 50)).to.equal(1); // a is now the most recent
    lru.set("c", 3, 100); // evicts b
    expect(lru.get("b", 50)).to.equal(undefined);
    expect(lru.get("a", 50)).to.equal(1);
    expect(lru.get("c", 100)).to.equal(undefined); // expired
    expect(lru.size).to.equal(1);
    expect(() => createExpiringLru(-1)).to.throw(RangeError);
  });
});
