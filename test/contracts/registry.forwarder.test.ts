/**
 * ERC-2771 relaying: a member signs a ForwardRequest (core signForwardRequest) and anyone relays it
 * through the CredtrailForwarder; the registry then acts for the member's key — same checks, same
 * events (signer = the member's key) — and refuses what it would refuse from that key directly.
 * The forwarder refuses a wrong signer, a passed deadline and a reused nonce; nobody else can
 * pose as a member by appending an address to the calldata.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import type { Signer } from "ethers";

import {
  forwarderDomain,
  RecordStatus,
  signForwardRequest,
  type ForwardRequestInput,
  type Hex,
  type SignedForwardRequest,
} from "../../core/index.js";
import {
  coreAttestationUid,
  ethers,
  h,
  loadDeployFixture,
  networkHelpers,
  recordOf,
  type Fixture,
} from "./fixture.js";

async function forwardRequest(
  f: Fixture,
  by: Signer,
  data: string,
  overrides: Partial<ForwardRequestInput> = {},
  signer: Signer = by,
): Promise<SignedForwardRequest> {
  const from = await by.getAddress();
  const domain = forwarderDomain(f.chainId, await f.forwarder.getAddress());
  return signForwardRequest(signer, domain, {
    from,
    to: await f.registry.getAddress(),
    gas: 1_000_000n,
    nonce: await f.forwarder.nonces(from),
    deadline: f.now + 3_600n,
    data,
    ...overrides,
  });
}

function execute(f: Fixture, request: SignedForwardRequest, relayer: Signer) {
  return f.forwarder.connect(relayer).execute({
    from: request.from,
    to: request.to,
    value: 0n,
    gas: request.gas,
    deadline: request.deadline,
    data: request.data,
    signature: request.signature,
  });
}

describe("CreditRegistry through the ERC-2771 forwarder", () => {
  let f: Fixture;
  let uid: Hex;

  beforeEach(async () => {
    f = await loadDeployFixture();
    const req = f.request();
    await (await f.registry.connect(f.signers.tax).attest(req)).wait();
    uid = coreAttestationUid(req, f.ids.tax);
  });

  it("trusts exactly its forwarder", async () => {
    expect(await f.registry.trustedForwarder()).to.equal(await f.forwarder.getAddress());
    expect(await f.registry.isTrustedForwarder(await f.forwarder.getAddress())).to.equal(true);
    expect(await f.registry.isTrustedForwarder(await f.signers.relayer.getAddress())).to.equal(
      false,
    );
  });

  it("a relayed revoke acts for the member's key: owner checked, event signed by the key", async () => {
    const data = f.registry.interface.encodeFunctionData("revoke", [uid, h("reason")]);
    const request = await forwardRequest(f, f.signers.tax, data);
    await expect(execute(f, request, f.signers.relayer))
      .to.emit(f.registry, "Revoked")
      .withArgs(uid, f.ids.tax, h("reason"), await f.signers.tax.getAddress());
    expect((await recordOf(f.registry, uid)).status).to.equal(BigInt(RecordStatus.Revoked));
    expect(await f.forwarder.nonces(request.from)).to.equal(1n);
  });

  it("a relayed call is refused as the key's own call would be (not the owner)", async () => {
    const data = f.registry.interface.encodeFunctionData("revoke", [uid, h("reason")]);
    const request = await forwardRequest(f, f.signers.court, data);
    // the forwarder reports a failed call without its reason; the dry run as the forwarder shows it
    await expect(execute(f, request, f.signers.relayer)).to.be.revertedWithCustomError(
      f.forwarder,
      "FailedCall",
    );
    const asForwarder = `${data}${request.from.slice(2)}`;
    await expect(
      ethers.provider.call({
        from: await f.forwarder.getAddress(),
        to: await f.registry.getAddress(),
        data: asForwarder,
      }),
    ).to.be.revertedWithCustomError(f.registry, "RegistryNotOwner");
    expect((await recordOf(f.registry, uid)).status).to.equal(BigInt(RecordStatus.Active));
  });

  it("refuses another key's signature, a passed deadline and a reused nonce", async () => {
    const data = f.registry.interface.encodeFunctionData("revoke", [uid, h("reason")]);
    const forged = await forwardRequest(f, f.signers.tax, data, {}, f.signers.outsider);
    await expect(execute(f, forged, f.signers.relayer)).to.be.revertedWithCustomError(
      f.forwarder,
      "ERC2771ForwarderInvalidSigner",
    );
    const late = await forwardRequest(f, f.signers.tax, data, { deadline: f.now - 1n });
    await networkHelpers.time.increase(1);
    await expect(execute(f, late, f.signers.relayer)).to.be.revertedWithCustomError(
      f.forwarder,
      "ERC2771ForwarderExpiredRequest",
    );
    const once = await forwardRequest(f, f.signers.tax, data);
    await (await execute(f, once, f.signers.relayer)).wait();
    await expect(execute(f, once, f.signers.relayer)).to.be.revertedWithCustomError(
      f.forwarder,
      "ERC2771ForwarderInvalidSigner",
    );
  });

  it("nobody else can pose as a member by appending its address to the calldata", async () => {
    const data = f.registry.interface.encodeFunctionData("revoke", [uid, h("reason")]);
    const spoofed = `${data}${(await f.signers.tax.getAddress()).slice(2)}`;
    await expect(
      f.signers.outsider.sendTransaction({ to: await f.registry.getAddress(), data: spoofed }),
    ).to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownKey");
  });

  it("relays lender operations: a consent and a dispute", async () => {
    const lender = f.signers.lenderA;
    const subject = h("subject:acme");
    const consent = f.registry.interface.encodeFunctionData("recordConsent", [
      subject,
      h("purpose"),
      f.now + 30n * 86_400n,
      h("evidence"),
    ]);
    await expect(execute(f, await forwardRequest(f, lender, consent), f.signers.relayer)).to.emit(
      f.registry,
      "ConsentRecorded",
    );
    const dispute = f.registry.interface.encodeFunctionData("openDispute", [uid, h("why")]);
    await expect(execute(f, await forwardRequest(f, lender, dispute), f.signers.relayer))
      .to.emit(f.registry, "DisputeOpened")
      .withArgs(uid, f.ids.lenderA, 1n, h("why"), anyValue, anyValue, await lender.getAddress());
  });
});
