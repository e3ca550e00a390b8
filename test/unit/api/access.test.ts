/**
 * Every method of every service the server registers (read from `routes()`,
 * not from a list) has an access rule, the rules are the documented ones,
 * and Health is the only open service: a new RPC cannot ship unguarded.
 */

import { describe, expect, it } from "vitest";
import { accessOf, procedureName } from "../../../src/api/access.js";
import { DOCUMENTED_ACCESS, registeredMethods } from "../../support/access.js";

describe("the access table", () => {
  const methods = registeredMethods();

  it("has a rule for every registered method", () => {
    const missing = methods.filter((m) => accessOf(m) === undefined).map(procedureName);
    expect(methods.length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it("says what the documented role table says, method for method", () => {
    const actual = Object.fromEntries(methods.map((m) => [procedureName(m), accessOf(m)]));
    expect(actual).toEqual(DOCUMENTED_ACCESS);
  });

  it("leaves only grpc.health.v1.Health open", () => {
    const open = new Set(
      methods.filter((m) => accessOf(m) === "open").map((m) => m.parent.typeName),
    );
    expect([...open]).toEqual(["grpc.health.v1.Health"]);
    const health = methods.filter((m) => m.parent.typeName === "grpc.health.v1.Health");
    expect(health.every((m) => accessOf(m) === "open")).toBe(true);
  });
});
