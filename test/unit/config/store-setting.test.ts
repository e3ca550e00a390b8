import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

const OFF = { CHRONORING_AUTH_MODE: "off" };

describe("CHRONORING_STORE / --store", () => {
  it("is dynamodb by default, with etcd as configured", () => {
    const config = loadConfig(OFF, []);
    expect(config.store.kind).toBe("dynamodb");
    expect(config.etcd.endpoints).toEqual(["http://127.0.0.1:2379"]);
  });

  it("memory runs standalone: every partition in this process, no etcd", () => {
    const config = loadConfig(OFF, ["--store", "memory"]);
    expect(config.store.kind).toBe("memory");
    expect(config.etcd.endpoints).toEqual([]);
  });

  it("refuses memory without every role (another process could not see its jobs), and unknown stores", () => {
    expect(() => loadConfig({ ...OFF, CHRONORING_STORE: "memory" }, ["--roles", "api"])).toThrow(
      new ConfigError("CHRONORING_STORE: memory runs every role in one process"),
    );
    expect(() => loadConfig({ ...OFF, CHRONORING_STORE: "postgres" }, [])).toThrow(ConfigError);
  });
});
