/**
 * Gas per operation, credtrail beside the Ethereum Attestation Service (EAS 1.4.0) in the same run
 * on the same in-process Hardhat chain. Prints JSON and writes bench/results/gas.json.
 *
 *   make bench B=gas        (or: npx hardhat run bench/gas.ts)
 *
 * Like for like: the EAS schema carries the same payload our attestation puts on chain
 * (subject, data hash, observation time, severity; the expiry is EAS's expirationTime).
 * Every figure is the median gasUsed of several transactions of the same kind, each with fresh data,
 * after one warm-up (so one-time initialisations such as a signer's first nonce word do not count).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  AbiCoder,
  keccak256,
  Signature,
  solidityPackedKeccak256,
  toUtf8Bytes,
  ZeroAddress,
  ZeroHash,
  type Signer,
} from "ethers";
import { network } from "hardhat";

import { deployContracts } from "../scripts/deploy/deployContracts.js";
import { EAS__factory, SchemaRegistry__factory } from "../types/ethers-contracts/index.js";

import {
  buildRecordBatch,
  categoryId,
  memberId,
  registryDomain,
  Role,
  signAttest,
  type Hex,
  type RecordLeaf,
} from "../core/index.js";

const SAMPLES = 7;
const coder = AbiCoder.defaultAbiCoder();

function median(values: bigint[]): number {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Number(sorted[Math.floor(sorted.length / 2)]);
}

function h(label: string, i: number | bigint): Hex {
  return keccak256(toUtf8Bytes(`${label}:${i}`)) as Hex;
}

async function gasOf(
  tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>,
): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("bench/gas: transaction has no receipt");
  return receipt.gasUsed;
}

async function samples(run: (i: number) => Promise<bigint>): Promise<number> {
  await run(1_000_000); // warm-up
  const out: bigint[] = [];
  for (let i = 0; i < SAMPLES; ++i) out.push(await run(i));
  return median(out);
}

async function main(): Promise<void> {
  const { ethers } = await network.getOrCreate();
  const [deployer, provider, scorer, operator, relayer] =
    (await ethers.getSigners()) as unknown as Signer[];
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const latest = await ethers.provider.getBlock("latest");
  const now = BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000));

  // ---------------------------------------------------------------- credtrail
  const category = "tax.payment";
  const definition = JSON.stringify({
    category,
    fields: [{ name: "taxPaid", type: "integer" }],
    name: "tax.payment.v1",
  });
  const { consortium, registry } = await deployContracts(deployer, {
    threshold: 1,
    founders: [
      {
        id: memberId("Tax Bureau"),
        name: "Tax Bureau",
        roles: Role.PROVIDER,
        keys: [await provider.getAddress()],
        categories: [categoryId(category)],
        scopeExpiresAt: now + 10n * 365n * 86_400n,
      },
      {
        id: memberId("Scorer"),
        name: "Scorer",
        roles: Role.SCORER,
        keys: [await scorer.getAddress()],
        categories: [],
        scopeExpiresAt: 0n,
      },
      {
        id: memberId("Operator"),
        name: "Operator",
        roles: Role.OPERATOR,
        keys: [await operator.getAddress()],
        categories: [],
        scopeExpiresAt: 0n,
      },
    ],
  });
  await (await consortium.connect(operator).registerSchema(category, definition)).wait();
  await (
    await consortium.connect(operator).registerSchema("credit.score", '{"name":"credit.score.v1"}')
  ).wait();
  const schema = keccak256(toUtf8Bytes(definition));
  const scoreSchema = keccak256(toUtf8Bytes('{"name":"credit.score.v1"}'));
  const model = h("model", 1);
  await (await consortium.connect(scorer).registerModel(model, "ipfs://model")).wait();

  const asProvider = registry.connect(provider);
  const request = (i: number | bigint, tag = "a") => ({
    schema,
    subject: h(`subject-${tag}`, i),
    dataHash: h(`data-${tag}`, i),
    observedAt: now - 86_400n,
    expiresAt: now + 5n * 365n * 86_400n,
    severity: 0,
  });

  const attest = await samples((i) => gasOf(asProvider.attest(request(i, "attest"))));

  const domain = registryDomain(chainId, await registry.getAddress());
  const attestBySig = await samples(async (i) => {
    const req = request(i, "sig");
    const deadline = now + 3600n;
    const nonce = BigInt(i + 1);
    const signature = await signAttest(provider, domain, req, nonce, deadline);
    return gasOf(
      registry
        .connect(relayer)
        .attestBySig(req, { signer: await provider.getAddress(), nonce, deadline, signature }),
    );
  });

  const batchPerRecord = async (n: number): Promise<number> => {
    const leaves: RecordLeaf[] = Array.from({ length: n }, (_, i) => ({
      subject: h(`batch-subject-${n}`, i),
      dataHash: h(`batch-data-${n}`, i),
      observedAt: now - 86_400n,
      expiresAt: 0n,
      severity: 0,
    }));
    const gas = await samples(async (i) => {
      // each sample anchors a different root (same size)
      const batch = buildRecordBatch(
        leaves.map((l) => ({ ...l, observedAt: l.observedAt - BigInt(i) })),
      );
      return gasOf(
        asProvider.anchorBatch(schema, batch.root, n, `credtrail://batches/${batch.root}`),
      );
    });
    return Math.round(gas / n);
  };
  const batchPerRecord1k = await batchPerRecord(1_000);
  const batchPerRecord10k = await batchPerRecord(10_000);

  const inputs: string[] = [];
  for (let i = 0; i < 20; ++i) {
    const req = request(i, "input");
    await (await asProvider.attest(req)).wait();
    inputs.push(await asProvider.attestationUid(req, memberId("Tax Bureau")));
  }
  const derive = (count: number) =>
    samples((i) =>
      gasOf(
        registry.connect(scorer).derive({
          schema: scoreSchema,
          subject: h("score-subject", count),
          dataHash: h(`score-${count}`, i),
          modelHash: model,
          observedAt: now,
          inputs: inputs.slice(0, count),
          leafInputs: [],
        }),
      ),
    );
  const derive5 = await derive(5);
  const derive20 = await derive(20);

  const revoke = await samples(async (i) => {
    const req = request(i, "revoke");
    await (await asProvider.attest(req)).wait();
    const uid = await asProvider.attestationUid(req, memberId("Tax Bureau"));
    return gasOf(asProvider.revoke(uid, h("reason", i)));
  });

  // ---------------------------------------------------------------- EAS
  const schemaRegistry = await new SchemaRegistry__factory(deployer).deploy();
  await schemaRegistry.waitForDeployment();
  const eas = await new EAS__factory(deployer).deploy(await schemaRegistry.getAddress());
  await eas.waitForDeployment();
  const easSchemaText = "bytes32 subject,bytes32 dataHash,uint64 observedAt,uint8 severity";
  await (await schemaRegistry.register(easSchemaText, ZeroAddress, true)).wait();
  // EAS schema uid = keccak256(abi.encodePacked(schema, resolver, revocable))
  const easSchemaUid = solidityPackedKeccak256(
    ["string", "address", "bool"],
    [easSchemaText, ZeroAddress, true],
  );
  const easData = (i: number | bigint, tag: string) => ({
    recipient: ZeroAddress,
    expirationTime: now + 5n * 365n * 86_400n,
    revocable: true,
    refUID: ZeroHash,
    data: coder.encode(
      ["bytes32", "bytes32", "uint64", "uint8"],
      [h(`eas-subject-${tag}`, i), h(`eas-data-${tag}`, i), now - 86_400n, 0],
    ),
    value: 0n,
  });
  const asEasProvider = eas.connect(provider);
  const easAttestUid = async (
    tx: Promise<{ wait(): Promise<unknown> }>,
  ): Promise<{ gas: bigint; uid: string }> => {
    const receipt = (await (await tx).wait()) as {
      gasUsed: bigint;
      logs: { topics: string[]; data: string }[];
    };
    const log = receipt.logs.find(
      (l) => l.topics[0] === eas.interface.getEvent("Attested").topicHash,
    );
    if (!log) throw new Error("bench/gas: EAS emitted no Attested event");
    const parsed = eas.interface.parseLog(log);
    return { gas: receipt.gasUsed, uid: String(parsed?.args.uid) };
  };

  const easAttest = await samples(
    async (i) =>
      (
        await easAttestUid(
          asEasProvider.attest({ schema: easSchemaUid, data: easData(i, "attest") }),
        )
      ).gas,
  );

  const easDomain = {
    name: "EAS",
    version: "1.4.0",
    chainId,
    verifyingContract: await eas.getAddress(),
  };
  const easTypes = {
    Attest: [
      { name: "attester", type: "address" },
      { name: "schema", type: "bytes32" },
      { name: "recipient", type: "address" },
      { name: "expirationTime", type: "uint64" },
      { name: "revocable", type: "bool" },
      { name: "refUID", type: "bytes32" },
      { name: "data", type: "bytes" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint64" },
    ],
  };
  const easAttestByDelegation = await samples(async (i) => {
    const data = easData(i, "sig");
    const attester = await provider.getAddress();
    const nonce = await eas.getNonce(attester);
    const deadline = now + 3600n;
    const sig = Signature.from(
      await provider.signTypedData(easDomain, easTypes, {
        attester,
        schema: easSchemaUid,
        ...data,
        nonce,
        deadline,
      }),
    );
    return gasOf(
      eas.connect(relayer).attestByDelegation({
        schema: easSchemaUid,
        data,
        signature: { v: sig.v, r: sig.r, s: sig.s },
        attester,
        deadline,
      }),
    );
  });

  const MULTI = 50;
  const easMultiAttestPerRecord = Math.round(
    (await samples((i) =>
      gasOf(
        asEasProvider.multiAttest([
          {
            schema: easSchemaUid,
            data: Array.from({ length: MULTI }, (_, j) => easData(i * MULTI + j, "multi")),
          },
        ]),
      ),
    )) / MULTI,
  );

  const easRevoke = await samples(async (i) => {
    const { uid } = await easAttestUid(
      asEasProvider.attest({ schema: easSchemaUid, data: easData(i, "revoke") }),
    );
    return gasOf(asEasProvider.revoke({ schema: easSchemaUid, data: { uid, value: 0n } }));
  });

  const result = {
    eas: {
      attest: easAttest,
      attestByDelegation: easAttestByDelegation,
      multiAttestPerRecord: easMultiAttestPerRecord,
      revoke: easRevoke,
    },
    credtrail: {
      attest,
      attestBySig,
      batchPerRecord1k,
      batchPerRecord10k,
      derive5,
      derive20,
      revoke,
    },
    ratios: {
      attestVsEas: Number((attest / easAttest).toFixed(3)),
      attestBySigVsEas: Number((attestBySig / easAttestByDelegation).toFixed(3)),
      revokeVsEas: Number((revoke / easRevoke).toFixed(3)),
    },
    targets: {
      attestAtMostThirdOfEas: attest * 3 <= easAttest,
      batchPerRecord1kAtMost1000: batchPerRecord1k <= 1_000,
      derive5AtMost150k: derive5 <= 150_000,
    },
    samples: SAMPLES,
    easMultiAttestBatch: MULTI,
  };
  const json = JSON.stringify(result, null, 2);
  console.log(json);
  const out = path.join(process.cwd(), "bench", "results", "gas.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, json + "\n");
}

await main();
