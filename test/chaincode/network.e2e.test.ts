/**
 * The chaincode on a real Fabric network (scripts/fabric-network.sh: 3 Raft orderers, 2 peers,
 * TLS, CCaaS), driven with the peer CLI. Slow (about a minute) and needs the Fabric binaries
 * (scripts/fabric-install.sh), so it runs only with FABRIC_E2E=1. It uses its own data folder and
 * ports, so a developer's network is left alone. Every submit is endorsed by both peers under the
 * MAJORITY policy: the two endorsements must agree byte for byte.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import type { Hex } from "../../core/index.js";
import {
  attestationUid,
  categoryId,
  memberId,
  Role,
  schemaDefinitionString,
} from "../../core/index.js";

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "scripts/fabric-network.sh");
const env = {
  ...process.env,
  FABRIC_DATA: path.join(root, ".data/fabric-e2e"),
  FABRIC_PORT_BASE: process.env.FABRIC_E2E_PORT_BASE ?? "27000",
};

function network(...args: string[]): string {
  return execFileSync(script, args, {
    cwd: root,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Submits as org `org`'s admin, endorsed by both peers; waits for the commit. */
function invoke(org: number, ...args: string[]): void {
  execFileSync(script, ["invoke", String(org), ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function invokeError(org: number, ...args: string[]): string {
  try {
    execFileSync(script, ["invoke", String(org), ...args], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? "");
  }
  throw new Error("the invocation succeeded");
}

function query(org: number, ...args: string[]): string {
  return network("query", String(org), ...args).trim();
}

describe("chaincode on a real Fabric network (FABRIC_E2E=1)", function () {
  this.timeout(600_000);

  before(function () {
    if (process.env.FABRIC_E2E !== "1" || !existsSync(path.join(root, ".tools/fabric/bin/peer"))) {
      this.skip();
    }
    network("reset");
    network("up");
  });

  after(() => {
    if (process.env.FABRIC_E2E === "1" && process.env.FABRIC_E2E_KEEP !== "1") network("reset");
  });

  it("bootstraps, registers a schema, attests and rejects with the contract error names", () => {
    const who = (org: number) =>
      (JSON.parse(query(org, "Consortium:whoAmI")) as { address: string }).address;
    const [org1, org2] = [who(1), who(2)];
    const expires = 4_000_000_000n;
    invoke(
      1,
      "Consortium:bootstrap",
      JSON.stringify({
        chaincodeName: "credtrail",
        threshold: 2,
        founders: [
          {
            name: "Org1",
            roles: Role.PROVIDER | Role.OPERATOR,
            keys: [org1],
            categories: [categoryId("tax.payment")],
            scopeExpiresAt: expires.toString(),
          },
          { name: "Org2", roles: Role.LENDER | Role.SCORER, keys: [org2] },
        ],
      }),
    );
    const info = JSON.parse(query(2, "Consortium:info")) as {
      activeMembers: number;
      threshold: number;
    };
    expect(info).to.include({ activeMembers: 2, threshold: 2 });

    const definition = schemaDefinitionString({ category: "tax.payment", version: 1 });
    invoke(1, "Consortium:registerSchema", "tax.payment", definition);
    const schema = (JSON.parse(query(1, "Consortium:info")) as { schemaCount: number }).schemaCount;
    expect(schema).to.equal(1);

    const request: {
      schema: Hex;
      subject: Hex;
      dataHash: Hex;
      observedAt: bigint;
      expiresAt: bigint;
      severity: number;
    } = {
      schema: keccak256(toUtf8Bytes(definition)) as Hex,
      subject: `0x${"11".repeat(32)}`,
      dataHash: `0x${"22".repeat(32)}`,
      observedAt: 1_700_000_000n,
      expiresAt: 0n,
      severity: 1,
    };
    const body = JSON.stringify({
      ...request,
      observedAt: request.observedAt.toString(),
      expiresAt: "0",
    });
    invoke(1, "Registry:attest", body);
    const uid = attestationUid({ ...request, provider: memberId("Org1") });
    const stored = JSON.parse(query(2, "Registry:record", uid)) as {
      status: number;
      owner: string;
    };
    expect(stored).to.include({ status: 1, owner: memberId("Org1") });

    expect(invokeError(2, "Registry:attest", body)).to.contain("ConsortiumMissingRole");
    expect(invokeError(1, "Registry:attest", body)).to.contain("RegistryRecordExists");
  });
});
