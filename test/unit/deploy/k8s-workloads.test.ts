import { beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/config.js";
import { loadTestConfig } from "../../support/host.js";
import {
  containerEnv,
  type K8sObject,
  named,
  OVERLAYS,
  ofKind,
  POD_NAME,
  render,
  roleDeployment,
  selects,
  skipWithoutKubectl,
} from "./k8s-render.js";

const ROLES = ["api", "scheduler", "worker"] as const;
/** Time to spare between a drain's end and the kill. */
const MARGIN_S = 5;

/** A role's Deployment, its container and the settings that container loads. */
function role(objects: K8sObject[], name: string) {
  const deployment = roleDeployment(objects, name);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0] as K8sObject;
  const config: Config = loadTestConfig(containerEnv(objects, container));
  return { deployment, pod, container, config };
}

/** Seconds a probe lets a container fail before it counts (period × failure threshold). */
const window = (probe: K8sObject) => (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);

describe.skipIf(skipWithoutKubectl()).each(OVERLAYS)(
  "deploy/k8s/overlays/%s workloads",
  (overlay) => {
    const objects = () => render(overlay);
    // kubectl renders in the hook (its timeout), not in the first test (5 s on a busy machine).
    beforeAll(() => {
      render(overlay);
    });

    it.each(ROLES)("%s: runs that role alone, named after its pod", (name) => {
      const { config } = role(objects(), name);
      expect(config.roles).toEqual([name]);
      if (name === "scheduler") expect(config.cluster.nodeId).toBe(POD_NAME);
      if (name === "worker") expect(config.worker.id).toBe(POD_NAME);
    });

    it("runs 3 scheduler nodes, and leaves the worker count to KEDA", () => {
      expect(role(objects(), "scheduler").deployment.spec.replicas).toBeGreaterThanOrEqual(3);
      expect(role(objects(), "worker").deployment.spec).not.toHaveProperty("replicas");
    });

    it("probes the API through grpc.health.v1 on the port it listens on", () => {
      const { container, config } = role(objects(), "api");
      expect(container.ports).toContainEqual({ name: "api", containerPort: config.api.port });
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        expect(container[probe]?.grpc, probe).toEqual({ port: config.api.port });
      }
    });

    it.each(["scheduler", "worker"])("%s: probes /healthz on the metrics port", (name) => {
      const { container, config } = role(objects(), name);
      expect(config.metricsPort).toBeGreaterThan(0);
      expect(container.ports).toContainEqual({
        name: "metrics",
        containerPort: config.metricsPort,
      });
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        expect(container[probe]?.httpGet, probe).toEqual({ path: "/healthz", port: "metrics" });
      }
    });

    it.each(ROLES)("%s: lets the process wait for its backends before liveness counts", (name) => {
      const { container, config } = role(objects(), name);
      expect(window(container.startupProbe)).toBeGreaterThanOrEqual(
        config.backendWaitMs / 1000 + 10,
      );
    });

    it.each(ROLES)("%s: gives the drain its time before the kill", (name) => {
      const { pod, container, config } = role(objects(), name);
      const preStop = container.lifecycle?.preStop?.exec?.command?.join(" ") ?? "";
      const preStopS = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(preStop)?.[1] ?? 0) / 1000;
      const drainMs = Math.max(
        config.roles.includes("api") ? config.api.closeTimeoutMs : 0,
        config.roles.includes("worker") ? config.worker.drainTimeoutMs : 0,
      );
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        preStopS + drainMs / 1000 + MARGIN_S,
      );
    });

    it.each(ROLES)("%s: requests and limits CPU and memory", (name) => {
      const { resources } = role(objects(), name).container;
      for (const kind of ["requests", "limits"]) {
        expect(Object.keys(resources[kind]).sort(), kind).toEqual(["cpu", "memory"]);
      }
    });

    it.each(ROLES)("%s: runs non-root, read-only, without capabilities, with a /tmp", (name) => {
      const { pod, container } = role(objects(), name);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      const tmp = container.volumeMounts.find((m: K8sObject) => m.mountPath === "/tmp");
      const volume = pod.volumes.find((v: K8sObject) => v.name === tmp?.name);
      expect(volume?.emptyDir).toBeDefined();
    });

    it.each(ROLES)("%s: spreads its pods over zones and nodes", (name) => {
      const { pod, deployment } = role(objects(), name);
      const labels = deployment.spec.template.metadata.labels;
      const keys = pod.topologySpreadConstraints.map((t: K8sObject) => {
        // A constraint whose selector misses the role's own pods spreads nothing.
        expect(selects(t.labelSelector.matchLabels, labels)).toBe(true);
        expect(Object.keys(t.labelSelector.matchLabels)).toContain("app.kubernetes.io/component");
        return t.topologyKey;
      });
      expect(keys.sort()).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    });

    it.each(ROLES)("%s: has a PodDisruptionBudget over its pods alone", (name) => {
      const labels = role(objects(), name).deployment.spec.template.metadata.labels;
      const budgets = ofKind(objects(), "PodDisruptionBudget").filter((b) =>
        selects(b.spec.selector.matchLabels, labels),
      );
      expect(budgets).toHaveLength(1);
      const others = ROLES.filter((r) => r !== name).map(
        (r) => role(objects(), r).deployment.spec.template.metadata.labels,
      );
      expect(others.some((l) => selects(budgets[0]!.spec.selector.matchLabels, l))).toBe(false);
    });

    it("runs as the ServiceAccount that carries the pods' IAM role", () => {
      const account = named(objects(), "ServiceAccount", "chronoring");
      for (const name of ROLES)
        expect(role(objects(), name).pod.serviceAccountName).toBe("chronoring");
      const arn = account.metadata.annotations?.["eks.amazonaws.com/role-arn"];
      // Development runs on LocalStack's dummy credentials, production on IRSA.
      if (overlay === "prod") expect(arn).toMatch(/^arn:aws:iam::\d{12}:role\/.+/);
      else expect(arn).toBeUndefined();
    });
  },
);
