/**
 * One conformance suite, two ledgers: the same steps (scenarios.ts: every LedgerWriter operation
 * and a rejection of each kind of rule) run through the `Ledger` interface against a Hardhat node
 * and against a real Fabric network (3 Raft orderers, 2 peers, the chaincode as a service), each
 * leg indexed by its own indexer. Both legs must give every step the same outcome, and end with
 * the same ledger-neutral read models (neutralDigest.ts says what differs between ledgers and how
 * it is left out).
 *
 * The Fabric leg runs whenever the Fabric binaries are installed (scripts/fabric-install.sh) and
 * FABRIC_E2E is not "0"; otherwise it is reported pending with the reason. It uses its own data
 * folder (<tmpdir>/credtrail-fabric/fabric-conformance) and ports (29000+), and resets them afterwards.
 */
import { writeFile } from "node:fs/promises";

import { expect } from "chai";

import type { Indexer } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import { tempDirs } from "../indexer/fixtures.js";
import { fabricLegAvailability, startFabricLeg, startHardhatLeg, type Leg } from "./legs.js";
import { neutralDigest, type NeutralDump } from "./neutralDigest.js";
import { outcomeOf, STEPS, type Outcome } from "./scenarios.js";

interface LegResult {
  outcomes: Outcome[];
  /** Set by the leg's indexing test, when it passes (an empty placeholder would compare equal). */
  neutral?: NeutralDump;
  ms: number;
}

const results = new Map<string, LegResult>();

/** A value a `before` hook set (the tests do not run when it failed). */
function given<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not set up`);
  return value;
}
const legsRun: string[] = [];

const LEGS: {
  name: "hardhat" | "fabric";
  start: () => Promise<Leg>;
  available: () => { run: boolean; reason: string };
}[] = [
  { name: "hardhat", start: startHardhatLeg, available: () => ({ run: true, reason: "" }) },
  { name: "fabric", start: () => startFabricLeg(), available: fabricLegAvailability },
];

describe("conformance: one scenario through the Ledger interface", function () {
  for (const legSpec of LEGS) {
    describe(`conformance [${legSpec.name}]`, function () {
      this.timeout(600_000);
      const dirs = tempDirs();
      let leg: Leg | undefined;
      let indexer: Indexer | undefined;
      let started = 0;

      before(async function () {
        const availability = legSpec.available();
        if (!availability.run) {
          console.log(`    conformance [${legSpec.name}] skipped: ${availability.reason}`);
          this.skip();
        }
        started = Date.now();
        leg = await legSpec.start();
        indexer = await createIndexer({
          db: await dirs.make(),
          ledger: leg.ledger,
          fromBlock: leg.fromBlock,
        });
        indexer.start();
      });

      after(async () => {
        await indexer?.close();
        await leg?.stop();
        await dirs.cleanup();
        if (leg !== undefined) {
          legsRun.push(legSpec.name);
          console.log(
            `    conformance [${legSpec.name}]: ran in ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        }
      });

      it(`gives each of the ${STEPS.length} steps its expected outcome`, async () => {
        const outcomes: Outcome[] = [];
        for (const step of STEPS)
          outcomes.push(`${step.name}: ${await outcomeOf(step.run(given(leg, "leg")))}`);
        expect(outcomes).to.deep.equal(STEPS.map((s) => `${s.name}: ${s.expect}`));
        results.set(legSpec.name, { outcomes, ms: Date.now() - started });
      });

      it("indexes everything the ledger holds", async () => {
        const [l, i] = [given(leg, "leg"), given(indexer, "indexer")];
        const head = await l.ledger.head();
        await i.waitForBlock(head.number);
        const dump = await neutralDigest(i, l);
        if (process.env.CONFORMANCE_DUMP !== undefined) {
          const file = `${process.env.CONFORMANCE_DUMP}/${legSpec.name}.txt`;
          await writeFile(file, dump.entries.map(([k, v]) => `${k} = ${v}`).join("\n"));
        }
        expect(dump.entries.length).to.be.greaterThan(50);
        const result = results.get(legSpec.name);
        if (result !== undefined) result.neutral = dump;
      });
    });
  }

  describe("conformance [hardhat = fabric]", function () {
    before(function () {
      if (!results.has("hardhat") || !results.has("fabric")) {
        console.log(
          `    conformance: legs compared: none (ran: ${[...results.keys()].join(", ") || "none"})`,
        );
        this.skip();
      }
    });

    it("both legs give every step the same outcome", () => {
      const [evm, fabric] = [
        given(results.get("hardhat"), "hardhat"),
        given(results.get("fabric"), "fabric"),
      ];
      expect(fabric.outcomes).to.deep.equal(evm.outcomes);
    });

    it("both indexers end with the same ledger-neutral read models", () => {
      const [evm, fabric] = [
        given(results.get("hardhat")?.neutral, "the hardhat leg's read models"),
        given(results.get("fabric")?.neutral, "the fabric leg's read models"),
      ];
      expect(fabric.entries).to.deep.equal(evm.entries);
      expect(fabric.digest).to.equal(evm.digest);
      console.log(`    conformance: legs run: ${legsRun.join(", ")}; neutral digest ${evm.digest}`);
    });
  });
});
