import { beforeAll, describe, expect, it } from "vitest";
import { loadTestConfig } from "../../support/host.js";
import {
  containerEnv,
  type K8sObject,
  MODELS,
  named,
  OVERLAYS,
  ofKind,
  render,
  selects,
  skipWithoutKubectl,
} from "./k8s-render.js";
import { unknownSettings } from "./known-settings.js";

const CLUSTER_SCOPED = new Set(["Namespace"]);

/** Every string in an object, with its path. */
function* strings(value: unknown, path = ""): Generator<[string, string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value))
    for (const [i, v] of value.entries()) yield* strings(v, `${path}/${i}`);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}/${k}`);
}

const podTemplates = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");

const chronoringContainers = (objects: K8sObject[]) =>
  podTemplates(objects)
    .filter((w) => w.spec.template.metadata.labels["app.kubernetes.io/name"] === "chronoring")
    .flatMap((w) => w.spec.template.spec.containers as K8sObject[]);

describe.skipIf(skipWithoutKubectl()).each(OVERLAYS)("deploy/k8s/overlays/%s", (overlay) => {
  const objects = () => render(overlay);
  // kubectl renders in the hook (its timeout), not in the first test (5 s on a busy machine).
  beforeAll(() => {
    render(overlay);
  });

  it("renders objects that each validate against the schema of their API", () => {
    expect(objects().length).toBeGreaterThan(15);
    for (const obj of objects()) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `a model for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
      expect(
        () => new Model!(obj as never).validate(),
        `${obj.kind} ${obj.metadata.name}`,
      ).not.toThrow();
    }
  });

  it("puts every namespaced object in the namespace chronoring", () => {
    for (const obj of objects().filter((o) => !CLUSTER_SCOPED.has(o.kind))) {
      expect(obj.metadata.namespace, `${obj.kind} ${obj.metadata.name}`).toBe("chronoring");
    }
  });

  it("has no value that a patch turned into the string 'null'", () => {
    for (const obj of objects()) {
      for (const [path, value] of strings(obj)) {
        expect(value, `${obj.kind} ${obj.metadata.name} ${path}`).not.toBe("null");
      }
    }
  });

  it("gives Chronoring only real CHRONORING_* settings, values the process accepts", () => {
    const containers = chronoringContainers(objects());
    expect(containers).toHaveLength(3);
    for (const c of containers) {
      const env = containerEnv(objects(), c);
      expect(Object.keys(env).filter((n) => !n.startsWith("CHRONORING_"))).toEqual([]);
      expect(unknownSettings(Object.keys(env))).toEqual([]);
      expect(() => loadTestConfig(env)).not.toThrow();
    }
  });

  it("runs the one image, tagged", () => {
    for (const c of chronoringContainers(objects())) {
      expect(c.image).toMatch(/^ghcr\.io\/chronoring\/chronoring:[\w.-]+$/);
      if (overlay === "prod") expect(c.image).toMatch(/:\d+\.\d+\.\d+$/);
    }
  });

  it("refers only to objects it renders (ConfigMaps, Secrets, ServiceAccounts, targets)", () => {
    const all = objects();
    for (const w of podTemplates(all)) {
      const spec = w.spec.template.spec;
      if (spec.serviceAccountName) named(all, "ServiceAccount", spec.serviceAccountName);
      for (const v of spec.volumes ?? []) {
        if (v.configMap && !v.configMap.optional) named(all, "ConfigMap", v.configMap.name);
        if (v.secret && !v.secret.optional) named(all, "Secret", v.secret.secretName);
      }
      for (const c of spec.containers) {
        for (const from of c.envFrom ?? []) named(all, "ConfigMap", from.configMapRef.name);
      }
    }
    for (const so of ofKind(all, "ScaledObject")) {
      named(all, "Deployment", so.spec.scaleTargetRef.name);
      for (const t of so.spec.triggers)
        named(all, "TriggerAuthentication", t.authenticationRef.name);
    }
    for (const ta of ofKind(all, "TriggerAuthentication")) {
      for (const ref of ta.spec.secretTargetRef ?? []) {
        expect(named(all, "Secret", ref.name).stringData, ref.name).toHaveProperty(ref.key);
      }
    }
  });

  it("has each Service select one workload and target ports its containers name", () => {
    for (const svc of ofKind(objects(), "Service")) {
      const workloads = podTemplates(objects()).filter((w) =>
        selects(svc.spec.selector, w.spec.template.metadata.labels),
      );
      expect(workloads, `Service ${svc.metadata.name}`).toHaveLength(1);
      const ports = workloads[0]!.spec.template.spec.containers.flatMap(
        (c: K8sObject) => c.ports ?? [],
      );
      for (const p of svc.spec.ports) {
        const target = p.targetPort ?? p.port;
        const match = ports.some(
          (cp: { name?: string; containerPort: number }) =>
            cp.name === target || cp.containerPort === target,
        );
        expect(match, `Service ${svc.metadata.name} port ${p.name}`).toBe(true);
      }
    }
  });

  it("has the ServiceMonitor scrape a port of every Chronoring Service", () => {
    const [monitor] = ofKind(objects(), "ServiceMonitor");
    const endpointPorts = monitor?.spec.endpoints.map((e: { port: string }) => e.port);
    const services = ofKind(objects(), "Service").filter((s) =>
      selects(monitor?.spec.selector.matchLabels, s.metadata.labels),
    );
    expect(services.map((s) => s.metadata.name).sort()).toEqual([
      "chronoring-api",
      "chronoring-scheduler",
      "chronoring-worker",
    ]);
    for (const s of services) {
      const names = s.spec.ports.map((p: { name: string }) => p.name);
      expect(
        names.some((n: string) => endpointPorts.includes(n)),
        s.metadata.name,
      ).toBe(true);
    }
  });
});
