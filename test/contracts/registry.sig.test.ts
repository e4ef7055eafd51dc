/**
 * CreditRegistry.attestBySig: a provider key signs an EIP-712 `Attest` with core, a relayer submits
 * it. Bound to the registry and chain, used once (unordered nonces) and before its deadline.
 */
import { expect } from "chai";
import { Signature, Wallet, ZeroAddress, ZeroHash, type Signer } from "ethers";

import {
  ATTEST_TYPES,
  ATTEST_TYPEHASH,
  attestDigest,
  attestStructHash,
  recoverAttestSigner,
  registryDomain,
  Role,
  signAttest,
  type AttestationRequestInput,
  type RegistryDomain,
} from "../../core/index.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/index.js";

import {
  coreAttestationUid,
  DAY,
  ethers,
  h,
  HOUR,
  loadDeployFixture,
  networkHelpers,
  recordOf,
  type AttestationRequestStruct,
  type Fixture,
} from "./fixture.js";

const UINT256_MAX = (1n << 256n) - 1n;

async function domainOf(f: Fixture): Promise<RegistryDomain> {
  return registryDomain(f.chainId, await f.registry.getAddress());
}

function input(req: AttestationRequestStruct): AttestationRequestInput {
  return req as unknown as AttestationRequestInput;
}

/** Signs `req` with core for the fixture's registry; returns the Signature struct attestBySig takes. */
async function signed(
  f: Fixture,
  signer: Signer,
  req: AttestationRequestStruct,
  nonce: bigint,
  deadline?: bigint,
  domain?: RegistryDomain,
) {
  const d = deadline ?? f.now + DAY;
  const signature = await signAttest(signer, domain ?? (await domainOf(f)), input(req), nonce, d);
  return { signer: await signer.getAddress(), nonce, deadline: d, signature };
}

describe("CreditRegistry: attestBySig", function () {
  describe("success", function () {
    it("attests what a provider signed, relayed by anyone; emits signer and relayer", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes, schemaIndexes, request } = f;
      const req = request();
      const sig = await signed(f, signers.tax, req, 7n);
      const uid = coreAttestationUid(req, ids.tax);
      expect(await registry.nonceUsed(sig.signer, 7n)).to.equal(false);
      expect(await registry.connect(signers.relayer).attestBySig.staticCall(req, sig)).to.equal(
        uid,
      );

      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.emit(registry, "Attested")
        .withArgs(
          uid,
          req.subject,
          req.schema,
          ids.tax,
          req.dataHash,
          req.observedAt,
          req.expiresAt,
          req.severity,
          sig.signer,
          await signers.relayer.getAddress(),
        );
      expect(await registry.nonceUsed(sig.signer, 7n)).to.equal(true);
      expect(await registry.nonceUsed(sig.signer, 6n)).to.equal(false);
      expect(await registry.nonceUsed(await signers.taxAlt.getAddress(), 7n)).to.equal(false);
      expect(await recordOf(registry, uid)).to.deep.equal({
        owner: indexes.tax,
        schema: schemaIndexes.taxPayment,
        observedAt: BigInt(req.observedAt),
        expiresAt: BigInt(req.expiresAt),
        severity: 0n,
        status: 1n,
        derived: false,
        disputed: false,
        repaired: false,
        batchLeaf: false,
      });
    });

    it("lets a provider submit its own signature, and a member relay for another", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, request } = f;
      const own = request({ subject: h("own") });
      await expect(
        registry.connect(signers.tax).attestBySig(own, await signed(f, signers.tax, own, 1n)),
      )
        .to.emit(registry, "Attested")
        .withArgs(
          coreAttestationUid(own, ids.tax),
          own.subject,
          own.schema,
          ids.tax,
          own.dataHash,
          own.observedAt,
          own.expiresAt,
          own.severity,
          await signers.tax.getAddress(),
          await signers.tax.getAddress(),
        );
      const relayed = request({ subject: h("relayed-by-court") });
      await expect(
        registry
          .connect(signers.court)
          .attestBySig(relayed, await signed(f, signers.taxAlt, relayed, 1n)),
      )
        .to.emit(registry, "Attested")
        .withArgs(
          coreAttestationUid(relayed, ids.tax),
          relayed.subject,
          relayed.schema,
          ids.tax,
          relayed.dataHash,
          relayed.observedAt,
          relayed.expiresAt,
          relayed.severity,
          await signers.taxAlt.getAddress(),
          await signers.court.getAddress(),
        );
    });

    it("uses nonces unordered, each once, across bitmap words up to 2^256 - 1", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const tax = await signers.tax.getAddress();
      const nonces = [300n, 5n, 0n, 255n, 256n, UINT256_MAX];
      for (const [i, nonce] of nonces.entries()) {
        const req = request({ subject: h(`nonce:${i}`) });
        await expect(
          registry
            .connect(signers.relayer)
            .attestBySig(req, await signed(f, signers.tax, req, nonce)),
        ).to.emit(registry, "Attested");
        for (const used of nonces.slice(0, i + 1))
          expect(await registry.nonceUsed(tax, used)).to.equal(true);
        for (const unused of nonces.slice(i + 1))
          expect(await registry.nonceUsed(tax, unused)).to.equal(false);
      }
      for (const unused of [1n, 4n, 6n, 254n, 257n, 299n, 301n, UINT256_MAX - 1n]) {
        expect(await registry.nonceUsed(tax, unused)).to.equal(false);
      }
    });

    it("accepts a signature in the block of its deadline", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const deadline = BigInt(await networkHelpers.time.latest()) + 60n;
      const req = request();
      const sig = await signed(f, signers.tax, req, 1n, deadline);
      await networkHelpers.time.setNextBlockTimestamp(deadline);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig)).to.emit(
        registry,
        "Attested",
      );
    });
  });

  describe("EIP-712 agreement with core", function () {
    it("hashAttest equals core's digest for the registry's domain", async function () {
      const f = await loadDeployFixture();
      const { registry, request, schemas } = f;
      const domain = await domainOf(f);
      const cases: [AttestationRequestStruct, bigint, bigint][] = [
        [request(), 0n, 0n],
        [request({ severity: 3, expiresAt: 0, schema: schemas.taxGrade }), 1n, f.now + DAY],
        [request({ observedAt: 1, expiresAt: (1n << 40n) - 1n }), UINT256_MAX, (1n << 64n) - 1n],
      ];
      for (const [req, nonce, deadline] of cases) {
        expect(await registry.hashAttest(req, nonce, deadline)).to.equal(
          attestDigest(domain, input(req), nonce, deadline),
        );
      }
      // the domain the contract reports is the one core builds
      const eip712 = await registry.eip712Domain();
      expect(eip712.name).to.equal(domain.name);
      expect(eip712.version).to.equal(domain.version);
      expect(eip712.chainId).to.equal(domain.chainId);
      expect(eip712.verifyingContract).to.equal(domain.verifyingContract);
    });

    it("core's typehash, struct hash and recovery match what the contract checks", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      // the type string of CreditRegistry._ATTEST_TYPEHASH, as the contract source spells it
      const contractType =
        "Attest(bytes32 schema,bytes32 subject,bytes32 dataHash,uint64 observedAt,uint64 expiresAt,uint8 severity,uint256 nonce,uint64 deadline)";
      expect(ethers.TypedDataEncoder.from(ATTEST_TYPES).encodeType("Attest")).to.equal(
        contractType,
      );
      expect(ATTEST_TYPEHASH).to.equal(ethers.id(contractType));
      const req = request();
      const sig = await signed(f, signers.tax, req, 9n);
      const domain = await domainOf(f);
      expect(recoverAttestSigner(domain, input(req), 9n, sig.deadline, sig.signature)).to.equal(
        sig.signer,
      );
      const digest = await registry.hashAttest(req, 9n, sig.deadline);
      expect(ethers.recoverAddress(digest, sig.signature)).to.equal(sig.signer);
      expect(
        ethers.TypedDataEncoder.hash(domain, ATTEST_TYPES, attestFields(req, 9n, sig.deadline)),
      ).to.equal(digest);
      expect(attestStructHash(input(req), 9n, sig.deadline)).to.equal(
        ethers.TypedDataEncoder.hashStruct(
          "Attest",
          ATTEST_TYPES,
          attestFields(req, 9n, sig.deadline),
        ),
      );
    });

    it("accepts a signature from a plain ethers Wallet made with core", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, govern, request } = f;
      const wallet = Wallet.createRandom();
      await govern({ kind: "AddKey", member: ids.tax, key: wallet.address });
      const req = request();
      const sig = await signed(f, wallet, req, 42n);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.emit(registry, "Attested")
        .withArgs(
          coreAttestationUid(req, ids.tax),
          req.subject,
          req.schema,
          ids.tax,
          req.dataHash,
          req.observedAt,
          req.expiresAt,
          req.severity,
          wallet.address,
          await signers.relayer.getAddress(),
        );
    });
  });

  describe("rejections", function () {
    it("rejects a signature by another key than the one named (RegistryInvalidSignature)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const req = request();
      const byCourt = await signed(f, signers.court, req, 1n);
      const tax = await signers.tax.getAddress();
      await expect(registry.connect(signers.relayer).attestBySig(req, { ...byCourt, signer: tax }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSignature")
        .withArgs(tax);
      // another key of the same member is still another key
      const byAlt = await signed(f, signers.taxAlt, req, 1n);
      await expect(registry.connect(signers.relayer).attestBySig(req, { ...byAlt, signer: tax }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSignature")
        .withArgs(tax);
      expect(await registry.nonceUsed(tax, 1n)).to.equal(false);
    });

    it("rejects a tampered request, nonce or deadline", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, schemas, request } = f;
      const req = request();
      const sig = await signed(f, signers.tax, req, 1n);
      const tampered: [AttestationRequestStruct, typeof sig][] = [
        [{ ...req, schema: schemas.taxGrade }, sig],
        [{ ...req, subject: h("other subject") }, sig],
        [{ ...req, dataHash: h("other data") }, sig],
        [{ ...req, observedAt: BigInt(req.observedAt) - 1n }, sig],
        [{ ...req, expiresAt: 0 }, sig],
        [{ ...req, severity: 1 }, sig],
        [req, { ...sig, nonce: 2n }],
        [req, { ...sig, deadline: sig.deadline + 1n }],
      ];
      for (const [r, s] of tampered) {
        await expect(registry.connect(signers.relayer).attestBySig(r, s))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidSignature")
          .withArgs(sig.signer);
      }
      await expect(registry.connect(signers.relayer).attestBySig(req, sig)).to.emit(
        registry,
        "Attested",
      );
    });

    it("rejects a replayed nonce, with the same or another request (RegistryNonceUsed)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const req = request();
      const sig = await signed(f, signers.tax, req, 3n);
      await registry.connect(signers.relayer).attestBySig(req, sig);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.be.revertedWithCustomError(registry, "RegistryNonceUsed")
        .withArgs(sig.signer, 3n);
      const other = request({ subject: h("other") });
      await expect(
        registry.connect(signers.tax).attestBySig(other, await signed(f, signers.tax, other, 3n)),
      )
        .to.be.revertedWithCustomError(registry, "RegistryNonceUsed")
        .withArgs(sig.signer, 3n);
      // nonces are per key
      await expect(
        registry
          .connect(signers.relayer)
          .attestBySig(other, await signed(f, signers.taxAlt, other, 3n)),
      ).to.emit(registry, "Attested");
    });

    it("rejects an expired deadline (RegistrySignatureExpired)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const req = request();
      const deadline = BigInt(await networkHelpers.time.latest()) + 60n;
      const sig = await signed(f, signers.tax, req, 1n, deadline);
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.be.revertedWithCustomError(registry, "RegistrySignatureExpired")
        .withArgs(deadline);
      const old = await signed(f, signers.tax, req, 2n, 0n);
      await expect(registry.connect(signers.relayer).attestBySig(req, old))
        .to.be.revertedWithCustomError(registry, "RegistrySignatureExpired")
        .withArgs(0n);
    });

    it("rejects a signature for another chain id", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const req = request();
      const domain = registryDomain(f.chainId + 1n, await registry.getAddress());
      const sig = await signed(f, signers.tax, req, 1n, undefined, domain);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSignature")
        .withArgs(sig.signer);
    });

    it("rejects a signature for another verifying contract, and one for this registry at another", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, request } = f;
      const req = request();
      const elsewhere = registryDomain(f.chainId, await consortium.getAddress());
      const sig = await signed(f, signers.tax, req, 1n, undefined, elsewhere);
      await expect(registry.connect(signers.relayer).attestBySig(req, sig))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSignature")
        .withArgs(sig.signer);

      // a second registry over the same consortium does not accept the first one's signatures
      const second = await new CreditRegistry__factory(signers.deployer).deploy(
        await consortium.getAddress(),
        ZeroAddress,
      );
      const forFirst = await signed(f, signers.tax, req, 2n);
      await expect(second.connect(signers.relayer).attestBySig(req, forFirst))
        .to.be.revertedWithCustomError(second, "RegistryInvalidSignature")
        .withArgs(forFirst.signer);
      expect(await second.hashAttest(req, 2n, forFirst.deadline)).to.not.equal(
        await registry.hashAttest(req, 2n, forFirst.deadline),
      );
    });

    it("rejects malformed signatures with OpenZeppelin's ECDSA errors", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const req = request();
      const sig = await signed(f, signers.tax, req, 1n);
      const short = sig.signature.slice(0, 2 + 64 * 2);
      await expect(registry.connect(signers.relayer).attestBySig(req, { ...sig, signature: short }))
        .to.be.revertedWithCustomError(registry, "ECDSAInvalidSignatureLength")
        .withArgs(64);
      // the malleable twin (high s) of a valid signature
      const parsed = Signature.from(sig.signature);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = ethers.toBeHex(n - BigInt(parsed.s), 32);
      const twin = ethers.concat([parsed.r, highS, parsed.v === 27 ? "0x1c" : "0x1b"]);
      await expect(registry.connect(signers.relayer).attestBySig(req, { ...sig, signature: twin }))
        .to.be.revertedWithCustomError(registry, "ECDSAInvalidSignatureS")
        .withArgs(highS);
      const zero = ethers.concat([ZeroHash, ZeroHash, "0x1b"]);
      await expect(
        registry.connect(signers.relayer).attestBySig(req, { ...sig, signature: zero }),
      ).to.be.revertedWithCustomError(registry, "ECDSAInvalidSignature");
    });

    it("authorises the signer like attest: unknown, not a provider, revoked key, suspended", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, govern, request } = f;
      const req = request();
      const outsider = await signed(f, signers.outsider, req, 1n);
      await expect(registry.connect(signers.relayer).attestBySig(req, outsider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(outsider.signer);
      const lender = await signed(f, signers.lenderA, req, 1n);
      await expect(registry.connect(signers.relayer).attestBySig(req, lender))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.lenderA, Role.PROVIDER);
      // the relayer's own key does not matter: the signer's does
      await expect(registry.connect(signers.tax).attestBySig(req, lender))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.lenderA, Role.PROVIDER);

      const alt = await signed(f, signers.taxAlt, req, 1n);
      await consortium.connect(signers.tax).revokeOwnKey(alt.signer);
      await expect(registry.connect(signers.relayer).attestBySig(req, alt))
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
        .withArgs(alt.signer);

      const tax = await signed(f, signers.tax, req, 1n);
      await govern({ kind: "Suspend", member: ids.tax });
      await expect(registry.connect(signers.relayer).attestBySig(req, tax))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(ids.tax);
      // a failed call does not use the nonce: the same signature works after reinstatement
      expect(await registry.nonceUsed(tax.signer, 1n)).to.equal(false);
      await govern({ kind: "Reinstate", member: ids.tax });
      await expect(registry.connect(signers.relayer).attestBySig(req, tax)).to.emit(
        registry,
        "Attested",
      );
    });

    it("checks the signed record like attest (fields, accreditation, duplicates)", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, categories, schemas, request } = f;
      const domain = await domainOf(f);
      // core refuses to sign a bad request, so sign these with ethers directly
      const raw = async (req: AttestationRequestStruct, nonce: bigint) => {
        const deadline = f.now + DAY;
        const signature = await signers.tax.signTypedData(
          domain,
          ATTEST_TYPES,
          attestFields(req, nonce, deadline),
        );
        return { signer: await signers.tax.getAddress(), nonce, deadline, signature };
      };
      const bad = request({ severity: 4 });
      await expect(registry.connect(signers.relayer).attestBySig(bad, await raw(bad, 1n)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSeverity")
        .withArgs(4);
      const zero = request({ subject: ZeroHash });
      await expect(registry.connect(signers.relayer).attestBySig(zero, await raw(zero, 2n)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(ZeroHash, zero.dataHash);
      const future = request({ observedAt: f.now + 2n * HOUR, expiresAt: 0 });
      await expect(registry.connect(signers.relayer).attestBySig(future, await raw(future, 3n)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(future.observedAt, 0);
      const unaccredited = request({ schema: schemas.judicialEnforcement });
      await expect(
        registry
          .connect(signers.relayer)
          .attestBySig(unaccredited, await signed(f, signers.tax, unaccredited, 4n)),
      )
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.tax, categories.judicialEnforcement);

      const req = request();
      await registry.connect(signers.tax).attest(req);
      await expect(
        registry.connect(signers.relayer).attestBySig(req, await signed(f, signers.tax, req, 5n)),
      )
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(coreAttestationUid(req, ids.tax));
    });
  });
});

function attestFields(req: AttestationRequestStruct, nonce: bigint, deadline: bigint) {
  return {
    schema: req.schema,
    subject: req.subject,
    dataHash: req.dataHash,
    observedAt: req.observedAt,
    expiresAt: req.expiresAt,
    severity: req.severity,
    nonce,
    deadline,
  };
}
