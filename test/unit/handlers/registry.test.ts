import { describe, expect, it } from "vitest";
import type { JobHandler } from "../../../src/worker/handlers/registry.js";
import { createHandlerRegistry, defaultHandlers } from "../../../src/worker/handlers/registry.js";

const fake = (type: "http" | "script" | "noop"): JobHandler => ({
  type,
  run: async () => ({ ok: true, summary: type }),
});

describe("createHandlerRegistry", () => {
  it("looks a handler up by job type and lists the types in registration order", () => {
    const noop = fake("noop");
    const http = fake("http");
    const registry = createHandlerRegistry([noop, http]);
    expect(registry.get("noop")).toBe(noop);
    expect(registry.get("http")).toBe(http);
    expect(registry.types()).toEqual(["noop", "http"]);
  });

  it("returns undefined for a type nobody handles", () => {
    expect(createHandlerRegistry([fake("noop")]).get("ftp")).toBeUndefined();
  });

  it("throws when two handlers claim the same type", () => {
    expect(() => createHandlerRegistry([fake("http"), fake("http")])).toThrow(
      /duplicate handler for job type "http"/,
    );
  });
});

describe("defaultHandlers", () => {
  it("provides http, script, noop, webhook and file", () => {
    const registry = createHandlerRegistry(defaultHandlers({ scriptAllowList: [] }));
    expect(registry.types()).toEqual(["http", "script", "noop", "webhook", "file"]);
  });

  it("rejects an invalid maxOutputBytes at construction", () => {
    expect(() => defaultHandlers({ scriptAllowList: [], maxOutputBytes: 0 })).toThrow(RangeError);
  });
});
