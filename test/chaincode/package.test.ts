/**
 * The deployable chaincode package and the external (CCaaS) builder the peers use: the compiled
 * package needs nothing outside chaincode/dist but its declared dependencies, and the builder's
 * detect / build / release scripts behave as a peer expects.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { loadChaincode } from "./chaincode.js";

const root = path.resolve(import.meta.dirname, "../..");
const builder = path.join(root, "network/fabric/builders/ccaas/bin");

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(full);
    return entry.name.endsWith(".js") ? [full] : [];
  });
}

function run(script: string, args: string[]): number {
  return spawnSync(path.join(builder, script), args, { stdio: "ignore" }).status ?? -1;
}

describe("chaincode package and CCaaS builder", function () {
  this.timeout(120_000);

  it("compiles to a self-contained package: relative requires stay in dist, others are dependencies", () => {
    loadChaincode();
    const pkg = JSON.parse(readFileSync(path.join(root, "chaincode/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      main: string;
    };
    const dist = path.join(root, "chaincode/dist");
    const files = jsFiles(dist);
    expect(files.map((f) => path.relative(dist, f))).to.include.members([
      pkg.main.replace(/^dist\//, ""),
      "core/canonicalJson.js",
      "core/eip712.js",
    ]);
    for (const file of files) {
      const source = readFileSync(file, "utf8");
      for (const [, spec] of source.matchAll(/require\("([^"]+)"\)/g)) {
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(file), spec);
          expect(target.startsWith(dist + path.sep), `${file} requires ${spec}`).to.equal(true);
        } else {
          const name = spec.startsWith("@")
            ? spec.split("/").slice(0, 2).join("/")
            : spec.split("/")[0];
          const builtin = builtinModules.includes(spec.replace(/^node:/, ""));
          expect(builtin || name in pkg.dependencies, `${file} requires ${spec}`).to.equal(true);
        }
      }
    }
  });

  describe("ccaas builder", () => {
    let work: string;

    beforeEach(() => {
      work = mkdtempSync(path.join(tmpdir(), "credtrail-ccaas-"));
      for (const d of ["src", "meta", "build", "release"]) mkdirSync(path.join(work, d));
    });

    afterEach(() => {
      rmSync(work, { recursive: true, force: true });
    });

    it("detects only ccaas packages", () => {
      const meta = path.join(work, "meta");
      writeFileSync(path.join(meta, "metadata.json"), '{"type": "ccaas", "label": "credtrail_1"}');
      expect(run("detect", [path.join(work, "src"), meta])).to.equal(0);
      writeFileSync(path.join(meta, "metadata.json"), '{"type": "node", "label": "credtrail_1"}');
      expect(run("detect", [path.join(work, "src"), meta])).to.equal(1);
      rmSync(path.join(meta, "metadata.json"));
      expect(run("detect", [path.join(work, "src"), meta])).to.equal(1);
    });

    it("builds and releases the connection.json the peer dials", () => {
      const connection =
        '{"address": "127.0.0.1:17200", "dial_timeout": "10s", "tls_required": false}';
      const [src, meta, build, release] = ["src", "meta", "build", "release"].map((d) =>
        path.join(work, d),
      );
      expect(run("build", [src, meta, build])).to.equal(1);
      writeFileSync(path.join(src, "connection.json"), connection);
      execFileSync(path.join(builder, "build"), [src, meta, build]);
      execFileSync(path.join(builder, "release"), [build, release]);
      expect(readFileSync(path.join(release, "chaincode/server/connection.json"), "utf8")).to.equal(
        connection,
      );
    });
  });
});
