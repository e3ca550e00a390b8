import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { startMetricsServer } from "../../../src/observability/metrics-server.js";

describe("the bare metrics listener of a process without the api role", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function start(): Promise<string> {
    const registry = new Registry();
    new Counter({ name: "probe_total", help: "a counter", registers: [registry] }).inc();
    const server = await startMetricsServer(registry, "127.0.0.1", 0);
    close = server.close;
    return `http://127.0.0.1:${server.port}`;
  }

  it("answers GET /healthz with 200, uncached: the probe of schedulers and workers", async () => {
    const res = await fetch(`${await start()}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("chronoring-tzdata")).toBe(process.versions.tz);
    expect(await res.text()).toBe("ok\n");
  });

  it("serves the registry on GET /metrics, and 404 for anything else", async () => {
    const base = await start();
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("probe_total 1");
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(404);
  });
});
