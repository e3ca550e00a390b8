import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  activeServices,
  COMPOSE_DIR,
  chronoringProcesses,
  durationS,
  environment,
  listenPorts,
  loadCompose,
  metricsPort,
  mounts,
  REPO,
  readYaml,
  servicesNamed,
  urlsIn,
} from "./compose-file.js";
import { unknownSettings } from "./known-settings.js";

const file = loadCompose();
// Loaded in each test: a setting the process would refuse fails the tests, not the file.
const processes = () => chronoringProcesses(file);
const PROFILES = ["localstack", "emulators"];

describe("deploy/compose/compose.yaml", () => {
  it("uses only service keys of the Compose Specification that these checks know", () => {
    // A misspelt key (enviroment, depends-on) is ignored by nothing here: it fails.
    const known = new Set([
      "image",
      "build",
      "profiles",
      "environment",
      "command",
      "entrypoint",
      "expose",
      "ports",
      "volumes",
      "networks",
      "read_only",
      "tmpfs",
      "stop_grace_period",
      "depends_on",
      "user",
      "restart",
      "healthcheck",
    ]);
    for (const [name, svc] of Object.entries(file.services)) {
      expect(
        Object.keys(svc).filter((k) => !known.has(k)),
        name,
      ).toEqual([]);
    }
  });

  it("depends only on services and conditions that exist, and mounts what exists", () => {
    const conditions = ["service_started", "service_healthy", "service_completed_successfully"];
    for (const [name, svc] of Object.entries(file.services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(file.services[dep], `${name} → ${dep}`).toBeDefined();
        expect(conditions, `${name} → ${dep}`).toContain(condition);
      }
      for (const { source } of mounts(svc)) {
        if (!/^[./]/.test(source))
          expect(file.volumes, `${name}: volume ${source}`).toHaveProperty(source);
        else expect(existsSync(resolve(COMPOSE_DIR, source)), source).toBe(true);
      }
    }
  });

  it("sets only real CHRONORING_* settings, with values the process accepts", () => {
    const names = Object.values(file.services).flatMap((s) => Object.keys(environment(s)));
    expect(unknownSettings(names)).toEqual([]);
    // chronoringProcesses loaded each one's settings as the process does; a bad value threw.
    expect(processes().length).toBeGreaterThan(0);
  });

  it("runs an API, 3 scheduler nodes and 2 workers, each with its own identity", () => {
    const withRole = (role: string) =>
      processes().filter((p) => p.config.roles.includes(role as never));
    expect(withRole("api")).toHaveLength(1);
    expect(withRole("scheduler")).toHaveLength(3);
    expect(withRole("worker")).toHaveLength(2);
    const schedulers = withRole("scheduler");
    expect(schedulers.every((p) => p.env.CHRONORING_NODE_ID)).toBe(true);
    expect(new Set(schedulers.map((p) => p.config.cluster.nodeId)).size).toBe(3);
    const workers = withRole("worker");
    expect(workers.every((p) => p.env.CHRONORING_WORKER_ID)).toBe(true);
    expect(new Set(workers.map((p) => p.config.worker.id)).size).toBe(2);
  });

  it("builds and runs the one image, read-only with a /tmp", () => {
    for (const p of processes()) {
      expect(p.svc.image, p.name).toMatch(/^ghcr\.io\/chronoring\/chronoring:/);
      expect(resolve(COMPOSE_DIR, p.svc.build?.context ?? "?"), p.name).toBe(resolve(REPO));
      expect(p.svc.build?.dockerfile, p.name).toBe("Dockerfile");
      expect(p.svc.read_only, p.name).toBe(true);
      expect(p.svc.tmpfs, p.name).toContain("/tmp");
    }
  });

  it("has every process listen on the container's interfaces, and non-API ones on a metrics port", () => {
    for (const p of processes()) {
      expect(p.config.api.host, p.name).toBe("0.0.0.0");
      expect(metricsPort(p.config), p.name).toBeGreaterThan(0);
    }
  });

  it("gives a stopping process time to drain before it is killed", () => {
    for (const p of processes()) {
      const graceS = durationS(p.svc.stop_grace_period ?? "10s");
      const { config } = p;
      const drainMs = Math.max(
        config.roles.includes("api") ? config.api.closeTimeoutMs : 0,
        config.roles.includes("worker") ? config.worker.drainTimeoutMs : 0,
      );
      expect(graceS * 1000, p.name).toBeGreaterThanOrEqual(drainMs + 5000);
    }
  });
});

describe("the backend profiles", () => {
  it("default to LocalStack (.env beside compose.yaml)", () => {
    const env = readFileSync(resolve(COMPOSE_DIR, ".env"), "utf8");
    expect(env).toMatch(/^COMPOSE_PROFILES=localstack$/m);
  });

  it.each(PROFILES)(
    "%s: each endpoint URL names one running service and a port it listens on",
    (profile) => {
      const running = activeServices(file, profile);
      const texts = running.flatMap((name) => {
        const svc = file.services[name]!;
        const command = Array.isArray(svc.command) ? svc.command : [svc.command ?? ""];
        return [...Object.values(environment(svc)), ...command].map((text) => ({ name, text }));
      });
      const urls = texts.flatMap(({ name, text }) => urlsIn(text).map((u) => ({ name, ...u })));
      expect(urls.length).toBeGreaterThan(10);
      for (const { name, host, port } of urls) {
        const targets = servicesNamed(file, profile, host);
        expect(targets, `${name} → ${host}:${port}`).toHaveLength(1);
        expect(listenPorts(file, targets[0]!), `${name} → ${host}:${port}`).toContain(port);
      }
    },
  );

  it.each(PROFILES)("%s: DynamoDB and SQS are each served by one backend", (profile) => {
    for (const host of ["dynamodb", "sqs"]) {
      expect(servicesNamed(file, profile, host), host).toHaveLength(1);
    }
  });
});

describe("Prometheus and Grafana", () => {
  const prometheus = readYaml<{
    rule_files?: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  }>("deploy/compose/prometheus.yml");
  const targets = prometheus.scrape_configs.flatMap((j) =>
    j.static_configs.flatMap((s) => s.targets),
  );

  it("scrapes every Chronoring process once, on its metrics port", () => {
    const expected = processes()
      .map((p) => `${p.name}:${metricsPort(p.config)}`)
      .sort();
    const chronoring = targets.filter((t) => processes().some((p) => t.startsWith(`${p.name}:`)));
    expect(chronoring.sort()).toEqual(expected);
  });

  it("scrapes nothing that is not a service of the file and one of its ports", () => {
    for (const target of targets) {
      const [host = "", port = ""] = target.split(":");
      expect(file.services[host], target).toBeDefined();
      expect(listenPorts(file, host), target).toContain(Number(port));
    }
  });

  it("gives Grafana the Prometheus of the file as its data source", () => {
    const ds = readYaml<{ datasources: Array<{ type: string; url: string }> }>(
      "deploy/compose/grafana/provisioning/datasources/prometheus.yaml",
    );
    const [source] = ds.datasources;
    expect(source?.type).toBe("prometheus");
    const [url] = urlsIn(source?.url ?? "");
    expect(url?.host).toBe("prometheus");
    expect(listenPorts(file, "prometheus")).toContain(url?.port);
  });

  it("provisions the dashboards of deploy/grafana, where chronoring.json lives", () => {
    const grafana = file.services.grafana!;
    const provider = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      "deploy/compose/grafana/provisioning/dashboards/chronoring.yaml",
    ).providers[0];
    const mount = (grafana.volumes ?? [])
      .map((v) => v.split(":"))
      .find(([, target]) => target === provider?.options.path);
    expect(mount, "a mount at the provider's path").toBeDefined();
    expect(resolve(COMPOSE_DIR, mount?.[0] ?? "")).toBe(resolve(REPO, "deploy/grafana"));
    const dashboard = resolve(REPO, "deploy/grafana/chronoring.json");
    expect(() => JSON.parse(readFileSync(dashboard, "utf8"))).not.toThrow();
  });

  it("evaluates the alert rules of deploy/prometheus/alerts.yml", () => {
    const mounts = (file.services.prometheus!.volumes ?? []).map((v) => v.split(":"));
    expect(prometheus.rule_files?.length).toBeGreaterThan(0);
    for (const rules of prometheus.rule_files ?? []) {
      const mount = mounts.find(([, target]) => target === rules);
      expect(mount, `a mount at ${rules}`).toBeDefined();
      expect(resolve(COMPOSE_DIR, mount?.[0] ?? "")).toBe(
        resolve(REPO, "deploy/prometheus/alerts.yml"),
      );
    }
  });
});
