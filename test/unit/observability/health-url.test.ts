import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { healthUrl } from "../../../src/observability/health-url.js";

// Auth off: with the api role, jwt mode would ask for its key settings, which the URL ignores.
const config = (env: Record<string, string>) =>
  loadConfig({ CHRONORING_AUTH_MODE: "off", ...env }, []);

describe("healthUrl (the container's health check target)", () => {
  it("asks the API listener of a process with the api role", () => {
    expect(healthUrl(config({}))).toBe("http://127.0.0.1:7070/healthz");
    expect(healthUrl(config({ CHRONORING_ROLES: "api", CHRONORING_API_PORT: "8080" }))).toBe(
      "http://127.0.0.1:8080/healthz",
    );
  });

  it("asks the bare metrics listener of a process without it", () => {
    const worker = config({ CHRONORING_ROLES: "worker", CHRONORING_METRICS_PORT: "9090" });
    expect(healthUrl(worker)).toBe("http://127.0.0.1:9090/healthz");
  });

  it("has nothing to ask without a listener on a known port", () => {
    expect(healthUrl(config({ CHRONORING_ROLES: "worker,scheduler" }))).toBeUndefined();
    expect(healthUrl(config({ CHRONORING_API_PORT: "0" }))).toBeUndefined();
  });

  it("asks a listener on every interface on loopback, and brackets IPv6", () => {
    expect(healthUrl(config({ CHRONORING_API_HOST: "0.0.0.0" }))).toBe(
      "http://127.0.0.1:7070/healthz",
    );
    expect(healthUrl(config({ CHRONORING_API_HOST: "::" }))).toBe("http://[::1]:7070/healthz");
    expect(healthUrl(config({ CHRONORING_API_HOST: "10.0.0.5" }))).toBe(
      "http://10.0.0.5:7070/healthz",
    );
  });
});
