import { expect } from "chai";
import fc from "fast-check";

import {
  ALL_ROLES,
  ErrorCode,
  hasRole,
  namesToRoles,
  Role,
  ROLE_NAMES,
  rolesToNames,
  toRoles,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

describe("core/roles", () => {
  it("has the bits of Roles.sol", () => {
    expect(Role).to.deep.equal({
      PROVIDER: 1,
      SCORER: 2,
      REPAIR_AUTHORITY: 4,
      LENDER: 8,
      REGULATOR: 16,
      OPERATOR: 32,
    });
    expect(ALL_ROLES).to.equal(63);
    expect(ROLE_NAMES).to.deep.equal([
      "PROVIDER",
      "SCORER",
      "REPAIR_AUTHORITY",
      "LENDER",
      "REGULATOR",
      "OPERATOR",
    ]);
  });

  it("converts bits to names and back", () => {
    expect(rolesToNames(0)).to.deep.equal([]);
    expect(rolesToNames(Role.LENDER | Role.PROVIDER)).to.deep.equal(["PROVIDER", "LENDER"]);
    expect(rolesToNames(ALL_ROLES)).to.deep.equal(ROLE_NAMES);
    expect(namesToRoles(["lender", " Provider ", "repair-authority", "LENDER"])).to.equal(13);
    expect(namesToRoles([])).to.equal(0);
  });

  it("hasRole", () => {
    expect(hasRole(Role.SCORER | Role.OPERATOR, Role.OPERATOR)).to.equal(true);
    expect(hasRole(Role.SCORER, Role.OPERATOR)).to.equal(false);
    expect(hasRole(Role.SCORER, 0)).to.equal(false);
  });

  it("ROLE_INVALID for unknown names and bits", () => {
    const error = expectCode(
      () => namesToRoles(["LENDER", "ADMIN", "root"]),
      ErrorCode.ROLE_INVALID,
    );
    expect(error.details?.unknown).to.deep.equal(["ADMIN", "root"]);
    for (const bits of [64, 128, 255, 256, -1, 1.5, Number.NaN])
      expectCode(() => rolesToNames(bits), ErrorCode.ROLE_INVALID);
    expectCode(() => toRoles("1"), ErrorCode.ROLE_INVALID);
  });

  it("property: names ↔ bits round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ALL_ROLES }), (bits) => {
        expect(namesToRoles(rolesToNames(bits))).to.equal(bits);
      }),
    );
  });
});
