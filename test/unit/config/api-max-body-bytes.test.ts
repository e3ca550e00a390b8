import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

const OFF = { CHRONORING_AUTH_MODE: "off" };

describe("CHRONORING_API_MAX_BODY_BYTES / --api-max-body-bytes", () => {
  it("defaults to 1 MiB", () => {
    expect(loadConfig(OFF, []).api.maxBodyBytes).toBe(1_048_576);
  });

  it("is read from the environment, and the flag wins", () => {
    expect(loadConfig({ ...OFF, CHRONORING_API_MAX_BODY_BYTES: "2048" }, []).api.maxBodyBytes).toBe(
      2048,
    );
    const both = loadConfig({ ...OFF, CHRONORING_API_MAX_BODY_BYTES: "2048" }, [
      "--api-max-body-bytes",
      "4096",
    ]);
    expect(both.api.maxBodyBytes).toBe(4096);
  });

  it.each([
    ["1024", 1024],
    ["67108864", 67_108_864],
  ])("takes the bound %s", (raw, value) => {
    expect(loadConfig({ ...OFF, CHRONORING_API_MAX_BODY_BYTES: raw }, []).api.maxBodyBytes).toBe(
      value,
    );
  });

  it.each([
    ["1023", "CHRONORING_API_MAX_BODY_BYTES: 1023 is outside 1024..67108864"],
    ["67108865", "CHRONORING_API_MAX_BODY_BYTES: 67108865 is outside 1024..67108864"],
    ["1MB", 'CHRONORING_API_MAX_BODY_BYTES: "1MB" is not a whole number'],
  ])("refuses %s with a ConfigError naming the setting", (raw, message) => {
    const load = () => loadConfig({ ...OFF, CHRONORING_API_MAX_BODY_BYTES: raw }, []);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});
