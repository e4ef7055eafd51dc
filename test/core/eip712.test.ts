import { expect } from "chai";
import fc from "fast-check";
import {
  AbiCoder,
  concat,
  keccak256,
  Signature,
  toUtf8Bytes,
  TypedDataEncoder,
  verifyTypedData,
  Wallet,
} from "ethers";

import {
  ATTEST_TYPE,
  ATTEST_TYPEHASH,
  ATTEST_TYPES,
  attestDigest,
  attestMessage,
  attestStructHash,
  checkSignature,
  ErrorCode,
  forwarderDomain,
  gatewayDomain,
  LOGIN_TYPE,
  LOGIN_TYPES,
  loginDigest,
  memberId,
  normalizeLoginMessage,
  recoverAttestSigner,
  recoverForwardRequestSigner,
  recoverLoginSigner,
  registryDomain,
  signAttest,
  signForwardRequest,
  signLogin,
  UnauthorizedError,
  verifyLogin,
  type TypedDataSigner,
} from "../../core/index.js";
import { expectCode, expectCodeAsync } from "./helpers.js";

const abi = AbiCoder.defaultAbiCoder();
const h = (s: string) => keccak256(toUtf8Bytes(s));
const wallet = new Wallet(`0x${"1".padStart(64, "0")}`);
const other = new Wallet(`0x${"2".padStart(64, "0")}`);
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DOMAIN = registryDomain(31337, CONTRACT.toLowerCase());
const REQUEST = {
  schema: h("schema"),
  subject: h("subject"),
  dataHash: h("data"),
  observedAt: 1_735_689_600n,
  expiresAt: 1_893_456_000n,
  severity: 2,
};
const NONCE = 7n;
const DEADLINE = 1_735_693_200n;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("core/eip712", () => {
  describe("Attest", () => {
    it("the type string and typehash are the contract's", () => {
      expect(ATTEST_TYPE).to.equal(
        "Attest(bytes32 schema,bytes32 subject,bytes32 dataHash,uint64 observedAt,uint64 expiresAt,uint8 severity,uint256 nonce,uint64 deadline)",
      );
      expect(TypedDataEncoder.from(ATTEST_TYPES).encodeType("Attest")).to.equal(ATTEST_TYPE);
      expect(ATTEST_TYPEHASH).to.equal(keccak256(toUtf8Bytes(ATTEST_TYPE)));
    });

    it("registryDomain is {credtrail, 1, chainId, checksummed contract}", () => {
      expect(DOMAIN).to.deep.equal({
        name: "credtrail",
        version: "1",
        chainId: 31337n,
        verifyingContract: CONTRACT,
      });
      expectCode(() => registryDomain(1, "0x1234"), ErrorCode.ADDRESS_INVALID);
      expectCode(() => registryDomain(-1, CONTRACT), ErrorCode.INTEGER_INVALID);
    });

    it("digest = keccak256(0x1901 ‖ domainSeparator ‖ structHash), encoded by hand", () => {
      const domainTypehash = h(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
      );
      const separator = keccak256(
        abi.encode(
          ["bytes32", "bytes32", "bytes32", "uint256", "address"],
          [domainTypehash, h("credtrail"), h("1"), 31337, CONTRACT],
        ),
      );
      const structHash = keccak256(
        abi.encode(
          [
            "bytes32",
            "bytes32",
            "bytes32",
            "bytes32",
            "uint64",
            "uint64",
            "uint8",
            "uint256",
            "uint64",
          ],
          [
            ATTEST_TYPEHASH,
            REQUEST.schema,
            REQUEST.subject,
            REQUEST.dataHash,
            REQUEST.observedAt,
            REQUEST.expiresAt,
            REQUEST.severity,
            NONCE,
            DEADLINE,
          ],
        ),
      );
      expect(attestStructHash(REQUEST, NONCE, DEADLINE)).to.equal(structHash);
      expect(attestDigest(DOMAIN, REQUEST, NONCE, DEADLINE)).to.equal(
        keccak256(concat(["0x1901", separator, structHash])),
      );
    });

    it("signs and recovers; ethers' verifyTypedData agrees", async () => {
      const signature = await signAttest(wallet, DOMAIN, REQUEST, NONCE, DEADLINE);
      expect(signature).to.match(/^0x[0-9a-f]{130}$/);
      expect(recoverAttestSigner(DOMAIN, REQUEST, NONCE, DEADLINE, signature)).to.equal(
        wallet.address,
      );
      expect(
        verifyTypedData(
          DOMAIN,
          ATTEST_TYPES,
          { ...attestMessage(REQUEST, NONCE, DEADLINE) },
          signature,
        ),
      ).to.equal(wallet.address);
      // bound to every field, the nonce, the deadline, the chain and the contract
      expect(
        recoverAttestSigner(DOMAIN, { ...REQUEST, severity: 3 }, NONCE, DEADLINE, signature),
      ).not.to.equal(wallet.address);
      expect(recoverAttestSigner(DOMAIN, REQUEST, NONCE + 1n, DEADLINE, signature)).not.to.equal(
        wallet.address,
      );
      expect(recoverAttestSigner(DOMAIN, REQUEST, NONCE, DEADLINE + 1n, signature)).not.to.equal(
        wallet.address,
      );
      expect(
        recoverAttestSigner(registryDomain(1, CONTRACT), REQUEST, NONCE, DEADLINE, signature),
      ).not.to.equal(wallet.address);
      expect(
        recoverAttestSigner(
          registryDomain(31337, other.address),
          REQUEST,
          NONCE,
          DEADLINE,
          signature,
        ),
      ).not.to.equal(wallet.address);
    });

    it("rejects invalid requests, nonces and deadlines", async () => {
      expectCode(
        () => attestDigest(DOMAIN, { ...REQUEST, severity: 4 }, NONCE, DEADLINE),
        ErrorCode.ATTESTATION_INVALID,
      );
      expectCode(() => attestDigest(DOMAIN, REQUEST, -1n, DEADLINE), ErrorCode.INTEGER_INVALID);
      expectCode(
        () => attestDigest(DOMAIN, REQUEST, 1n << 256n, DEADLINE),
        ErrorCode.INTEGER_INVALID,
      );
      expectCode(() => attestDigest(DOMAIN, REQUEST, NONCE, 1n << 64n), ErrorCode.INTEGER_INVALID);
      await expectCodeAsync(
        signAttest(wallet, DOMAIN, { ...REQUEST, subject: "0x00" }, NONCE, DEADLINE),
        ErrorCode.ATTESTATION_INVALID,
      );
    });

    it("rejects a signer that returns a malformed signature", async () => {
      const broken: TypedDataSigner = { signTypedData: () => Promise.resolve("0x1234") };
      await expectCodeAsync(
        signAttest(broken, DOMAIN, REQUEST, NONCE, DEADLINE),
        ErrorCode.SIGNATURE_INVALID,
      );
    });
  });

  describe("signatures accepted as OpenZeppelin ECDSA accepts them", () => {
    let good: string;
    before(async () => {
      good = await signAttest(wallet, DOMAIN, REQUEST, NONCE, DEADLINE);
    });

    it("65 bytes, v 27/28, low s", () => {
      const parsed = checkSignature(good);
      expect(parsed.serialized.toLowerCase()).to.equal(good);
      const upper = `0x${good.slice(2).toUpperCase()}`;
      expect(recoverAttestSigner(DOMAIN, REQUEST, NONCE, DEADLINE, upper)).to.equal(wallet.address);
    });

    it("SIGNATURE_INVALID otherwise", () => {
      const sig = Signature.from(good);
      const v = good.slice(-2);
      const highS = `0x${sig.r.slice(2)}${(N - BigInt(sig.s)).toString(16).padStart(64, "0")}${v === "1b" ? "1c" : "1b"}`;
      const bad = [
        good.slice(0, 130), // 64 bytes (EIP-2098 compact is not accepted)
        `${good}00`,
        `${good.slice(0, 130)}00`, // v = 0
        `${good.slice(0, 130)}01`,
        `${good.slice(0, 130)}1d`, // v = 29
        highS,
        "0xzz",
        good.slice(2),
        `0x${"00".repeat(64)}1b`, // r = s = 0
      ];
      for (const s of bad)
        expectCode(
          () => recoverAttestSigner(DOMAIN, REQUEST, NONCE, DEADLINE, s),
          ErrorCode.SIGNATURE_INVALID,
        );
    });
  });

  describe("ForwardRequest", () => {
    it("signs and recovers with the same signature rules as Attest", async () => {
      const domain = forwarderDomain(31337, other.address);
      const request = {
        from: wallet.address,
        to: CONTRACT,
        gas: 200_000n,
        nonce: 0n,
        deadline: DEADLINE,
        data: "0x12345678",
      };
      const signed = await signForwardRequest(wallet, domain, request);
      expect(recoverForwardRequestSigner(domain, request, signed.signature)).to.equal(
        wallet.address,
      );
      expect(
        recoverForwardRequestSigner(domain, { ...request, nonce: 1n }, signed.signature),
      ).not.to.equal(wallet.address);
      for (const bad of [signed.signature.slice(0, 130), `${signed.signature.slice(0, 130)}1d`])
        expectCode(
          () => recoverForwardRequestSigner(domain, request, bad),
          ErrorCode.SIGNATURE_INVALID,
        );
    });
  });

  describe("Login", () => {
    const gateway = gatewayDomain(31337);
    const message = {
      key: wallet.address,
      member: memberId("Bank A"),
      audience: "https://gateway.credtrail.example",
      issuedAt: 1_000_000n,
      expiresAt: 1_000_900n,
      nonce: h("nonce"),
    };

    it("types and domain", () => {
      expect(gateway).to.deep.equal({ name: "credtrail-gateway", version: "1", chainId: 31337n });
      expect(TypedDataEncoder.from(LOGIN_TYPES).encodeType("Login")).to.equal(LOGIN_TYPE);
      const domainTypehash = h("EIP712Domain(string name,string version,uint256 chainId)");
      const separator = keccak256(
        abi.encode(
          ["bytes32", "bytes32", "bytes32", "uint256"],
          [domainTypehash, h("credtrail-gateway"), h("1"), 31337],
        ),
      );
      const structHash = keccak256(
        abi.encode(
          ["bytes32", "address", "bytes32", "bytes32", "uint64", "uint64", "bytes32"],
          [
            h(LOGIN_TYPE),
            message.key,
            message.member,
            h(message.audience),
            message.issuedAt,
            message.expiresAt,
            message.nonce,
          ],
        ),
      );
      expect(loginDigest(gateway, message)).to.equal(
        keccak256(concat(["0x1901", separator, structHash])),
      );
    });

    it("signs, recovers and verifies", async () => {
      const signature = await signLogin(wallet, gateway, message);
      expect(recoverLoginSigner(gateway, message, signature)).to.equal(wallet.address);
      const verified = verifyLogin({
        domain: gateway,
        message: { ...message, key: message.key.toLowerCase() },
        signature,
        now: 1_000_100,
        audience: message.audience,
        maxLifetime: 3600,
      });
      expect(verified).to.deep.equal(message);
    });

    it("rejects with UnauthorizedError LOGIN_INVALID / LOGIN_EXPIRED", async () => {
      const signature = await signLogin(wallet, gateway, message);
      const base = {
        domain: gateway,
        message,
        signature,
        now: 1_000_100n,
        audience: message.audience,
        maxLifetime: 3600n,
      };
      const cases: [Partial<typeof base> & Record<string, unknown>, string][] = [
        [{ audience: "https://other.example" }, ErrorCode.LOGIN_INVALID],
        [{ now: 1_000_900n }, ErrorCode.LOGIN_EXPIRED],
        [{ now: 2_000_000n }, ErrorCode.LOGIN_EXPIRED],
        [{ now: 999_939n }, ErrorCode.LOGIN_INVALID], // issued more than 60 s in the future
        [{ maxLifetime: 899n }, ErrorCode.LOGIN_INVALID],
        [{ signature: await signLogin(other, gateway, message) }, ErrorCode.LOGIN_INVALID],
        [{ signature: "0x1234" }, ErrorCode.LOGIN_INVALID],
        [{ message: { ...message, nonce: h("other nonce") } }, ErrorCode.LOGIN_INVALID],
        [{ domain: gatewayDomain(1) }, ErrorCode.LOGIN_INVALID],
      ];
      for (const [override, code] of cases) {
        expectCode(() => verifyLogin({ ...base, ...override }), code, UnauthorizedError);
      }
      expect(verifyLogin({ ...base, now: 999_940n }).key).to.equal(wallet.address);
    });

    it("normalizeLoginMessage: LOGIN_INVALID for malformed messages", () => {
      expectCode(
        () => normalizeLoginMessage({ ...message, audience: "" }),
        ErrorCode.LOGIN_INVALID,
      );
      expectCode(() => normalizeLoginMessage({ ...message, key: "0x12" }), ErrorCode.LOGIN_INVALID);
      expectCode(
        () => normalizeLoginMessage({ ...message, member: "0x12" }),
        ErrorCode.LOGIN_INVALID,
      );
      expectCode(
        () => normalizeLoginMessage({ ...message, expiresAt: message.issuedAt }),
        ErrorCode.LOGIN_INVALID,
      );
      expectCode(() => normalizeLoginMessage({ ...message, nonce: "0x" }), ErrorCode.LOGIN_INVALID);
    });
  });

  it("property: any valid request signed by any key recovers to that key", async () => {
    const bytes32 = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .filter((b) => b.some((x) => x !== 0))
      .map((b) => `0x${Buffer.from(b).toString("hex")}`);
    await fc.assert(
      fc.asyncProperty(
        bytes32,
        bytes32,
        bytes32,
        fc.bigInt({ min: 1n, max: 1n << 39n }),
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        fc.bigInt({ min: 1n, max: N - 1n }),
        async (schema, subject, dataHash, observedAt, severity, nonce, key) => {
          const signer = new Wallet(`0x${key.toString(16).padStart(64, "0")}`);
          const request = { schema, subject, dataHash, observedAt, expiresAt: 0n, severity };
          const signature = await signAttest(signer, DOMAIN, request, nonce, DEADLINE);
          expect(recoverAttestSigner(DOMAIN, request, nonce, DEADLINE, signature)).to.equal(
            signer.address,
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});
