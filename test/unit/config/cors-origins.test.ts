import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

const OFF = { CHRONORING_AUTH_MODE: "off" };

describe("CHRONORING_CORS_ORIGINS / --cors-origins", () => {
  it("allows no origin by default", () => {
    expect(loadConfig(OFF, []).api.corsOrigins).toEqual([]);
  });

  it("takes exact origins, and * only alone", () => {
    const env = {
      ...OFF,
      CHRONORING_CORS_ORIGINS: "https://app.example.com,http://localhost:5173",
    };
    expect(loadConfig(env, []).api.corsOrigins).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
    ]);
    expect(loadConfig(OFF, ["--cors-origins", "*"]).api.corsOrigins).toEqual(["*"]);
  });

  it.each([
    ["*,https://a.example", '"*" stands alone'],
    ["https://a.example/", "is not an origin"],
    ["a.example", "is not an origin"],
    ["ftp://a.example", "is not an origin"],
  ])("refuses %s", (raw, message) => {
    expect(() => loadConfig({ ...OFF, CHRONORING_CORS_ORIGINS: raw }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ ...OFF, CHRONORING_CORS_ORIGINS: raw }, [])).toThrow(message);
  });
});
