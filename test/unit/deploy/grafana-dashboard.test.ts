/**
 * deploy/grafana/chronoring.json is a dashboard Grafana 10/11 imports: schema
 * version 39, a Prometheus data source variable every panel and query uses,
 * unique panel ids, and PromQL that reads only metrics Chronoring defines.
 * test/integration/observability/prometheus.test.ts runs every query against
 * a real Prometheus scraping a running Chronoring.
 */
import { describe, expect, it } from "vitest";
import { definedMetrics, repoFile, undefinedMetrics } from "../../support/metric-names.js";

interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

const dashboard = JSON.parse(repoFile("deploy/grafana/chronoring.json")) as {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
};
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DS = { type: "prometheus", uid: "${DS_PROMETHEUS}" };
const graphs = dashboard.panels.filter((p) => p.type !== "row");

describe("deploy/grafana/chronoring.json", () => {
  it("is a schema-39 dashboard with a Prometheus data source variable", () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe("chronoring");
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", query: "prometheus" }),
    );
  });

  it("gives every panel a unique id and a place on the 24-column grid", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, p.title).toBeGreaterThan(0);
    }
  });

  it("queries the data source variable from every panel and target", () => {
    for (const p of graphs) {
      expect(p.datasource, p.title).toEqual(DS);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(DS);
    }
  });

  it("has the panels operators look at", () => {
    expect(graphs.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        "Fires/s",
        "Lateness p50 / p99",
        "Claims",
        "Queue depth per priority",
        "Dead runs and retries",
        "Runs by outcome",
        "Missed runs",
        "Partitions per node",
        "Leader changes",
        "Worker in-flight runs",
        "Heartbeats",
        "Store writes/s",
        "Store throttles",
        "API calls by code",
        "API errors by code",
      ]),
    );
  });

  it("reads only metrics that Chronoring defines", () => {
    const defined = definedMetrics();
    for (const p of graphs) {
      for (const t of p.targets ?? []) {
        expect(undefinedMetrics(t.expr, defined), `${p.title}: ${t.expr}`).toEqual([]);
      }
    }
  });
});
