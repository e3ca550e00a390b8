import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";

const OFF = { CHRONORING_AUTH_MODE: "off" };

describe("CHRONORING_OTLP_ENDPOINT / CHRONORING_TRACE_SAMPLE_PERCENT", () => {
  it("leaves tracing off by default, sampling every trace once on", () => {
    expect(loadConfig(OFF, []).tracing).toEqual({ otlpEndpoint: "", samplePercent: 100 });
  });

  it("takes an http(s) collector URL and a percentage, the flags winning", () => {
    const config = loadConfig({ ...OFF, CHRONORING_OTLP_ENDPOINT: "http://collector:4318" }, [
      "--trace-sample-percent",
      "10",
    ]);
    expect(config.tracing).toEqual({ otlpEndpoint: "http://collector:4318", samplePercent: 10 });
  });

  it("refuses an endpoint that is not an http(s) URL, naming the setting", () => {
    for (const bad of ["collector:4318", "grpc://collector:4317", "not a url"]) {
      expect(() => loadConfig({ ...OFF, CHRONORING_OTLP_ENDPOINT: bad }, [])).toThrow(
        new ConfigError(`CHRONORING_OTLP_ENDPOINT: "${bad}" is not an http:// or https:// URL`),
      );
    }
  });

  it("refuses a sample percentage outside 0..100", () => {
    expect(() => loadConfig({ ...OFF, CHRONORING_TRACE_SAMPLE_PERCENT: "101" }, [])).toThrow(
      /CHRONORING_TRACE_SAMPLE_PERCENT/,
    );
  });
});
