import { posix } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { queueName } from "../../../src/adapters/sqs/work-queue.js";
import { PRIORITIES } from "../../../src/core/priority.js";
import { loadTestConfig } from "../../support/host.js";
import { urlsIn } from "./compose-file.js";
import {
  containerEnv,
  type K8sObject,
  named,
  OVERLAYS,
  ofKind,
  render,
  roleDeployment,
  skipWithoutKubectl,
} from "./k8s-render.js";

/** The settings and raw environment of a role's container. */
function settings(objects: K8sObject[], role: string) {
  const container = roleDeployment(objects, role).spec.template.spec.containers[0];
  const env = containerEnv(objects, container);
  return { env, config: loadTestConfig(env) };
}

/** The ports a host:port names inside the cluster, or undefined for a host outside it. */
function inClusterPorts(objects: K8sObject[], host: string): number[] | undefined {
  const [first = "", second, third] = host.split(".");
  const ns = "chronoring";
  const servicePorts = (name: string) =>
    ofKind(objects, "Service")
      .find((s) => s.metadata.name === name)
      ?.spec.ports.map((p: { port: number }) => p.port);
  // <service>, <service>.<ns>[.svc...]
  if (second === undefined || (second === ns && (third === undefined || third === "svc"))) {
    return servicePorts(first);
  }
  // <pod>.<service> of a StatefulSet: the pod must exist (index below replicas).
  const sts = ofKind(objects, "StatefulSet").find((s) => s.spec.serviceName === second);
  if (!sts) return undefined;
  const index = Number(first.slice(sts.metadata.name.length + 1));
  if (!first.startsWith(`${sts.metadata.name}-`) || !(index < sts.spec.replicas)) return [];
  return servicePorts(second);
}

describe.skipIf(skipWithoutKubectl()).each(OVERLAYS)(
  "deploy/k8s/overlays/%s backends",
  (overlay) => {
    const objects = () => render(overlay);
    // kubectl renders in the hook (its timeout), not in the first test (5 s on a busy machine).
    beforeAll(() => {
      render(overlay);
    });

    it("points every role at an etcd cluster of several members, never standalone", () => {
      for (const role of ["api", "scheduler", "worker"]) {
        expect(settings(objects(), role).config.etcd.endpoints.length, role).toBeGreaterThanOrEqual(
          3,
        );
      }
    });

    it("names in-cluster services and ports that exist, and nothing in-cluster that does not", () => {
      const { env } = settings(objects(), "scheduler");
      const urls = Object.values(env).flatMap(urlsIn);
      for (const { host, port } of urls) {
        const ports = inClusterPorts(objects(), host);
        // A host outside the cluster has a domain (production's etcd, the identity provider).
        if (ports === undefined)
          expect(host, `${host} is neither in-cluster nor a FQDN`).toMatch(/\.[a-z]{2,}$/);
        else expect(ports, `${host}:${port}`).toContain(port);
      }
    });

    if (overlay === "prod") {
      it("uses AWS itself and an external etcd", () => {
        const { config } = settings(objects(), "worker");
        expect(config.aws.dynamodbEndpoint).toBe("");
        expect(config.aws.sqsEndpoint).toBe("");
        expect(config.aws.localCredentials).toBe(false);
        expect(ofKind(objects(), "StatefulSet")).toEqual([]);
        for (const url of config.etcd.endpoints) {
          expect(inClusterPorts(objects(), new URL(url).hostname), url).toBeUndefined();
        }
      });
    } else {
      it("runs etcd as a 3-member StatefulSet with a static initial cluster of its pods", () => {
        const sts = named(objects(), "StatefulSet", "etcd");
        expect(sts.spec.replicas).toBe(3);
        const args: string[] = sts.spec.template.spec.containers[0].args;
        const initial = args.find((a) => a.startsWith("--initial-cluster="))!;
        const members = initial.slice("--initial-cluster=".length).split(",");
        expect(members).toEqual(
          [0, 1, 2].map((i) => `etcd-${i}=http://etcd-${i}.${sts.spec.serviceName}:2380`),
        );
        expect(
          named(objects(), "Service", sts.spec.serviceName).spec.publishNotReadyAddresses,
        ).toBe(true);
        const { config } = settings(objects(), "scheduler");
        expect(config.etcd.endpoints).toEqual(
          [0, 1, 2].map((i) => `http://etcd-${i}.${sts.spec.serviceName}:2379`),
        );
      });
    }

    it("scales workers on each priority queue, by the queue names the workers use", () => {
      const { config } = settings(objects(), "worker");
      const [scaled] = ofKind(objects(), "ScaledObject");
      expect(scaled?.spec.scaleTargetRef.name).toBe(
        roleDeployment(objects(), "worker").metadata.name,
      );
      expect(scaled?.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const triggers: Array<{ type: string; metadata: Record<string, string> }> =
        scaled?.spec.triggers ?? [];
      expect(triggers.every((t) => t.type === "aws-sqs-queue")).toBe(true);
      expect(triggers.map((t) => t.metadata.queueURL).sort()).toEqual(
        PRIORITIES.map((p) => queueName(config.queue.prefix, p)).sort(),
      );
      for (const t of triggers) {
        expect(t.metadata.awsRegion).toBe(config.aws.region);
        // One pod's worth of runs per replica.
        expect(Number(t.metadata.queueLength)).toBe(config.worker.concurrency);
        if (config.aws.sqsEndpoint) {
          // KEDA's operator runs in another namespace: the same service, fully qualified.
          const local = new URL(config.aws.sqsEndpoint);
          const keda = new URL(t.metadata.awsEndpoint ?? "");
          expect(keda.hostname).toBe(`${local.hostname}.chronoring.svc`);
          expect(keda.port).toBe(local.port);
        } else {
          expect(t.metadata.awsEndpoint).toBeUndefined();
        }
      }
    });

    it("has the API check JWTs, from a JWKS URL or the file base's API Deployment mounts", () => {
      const { env } = settings(objects(), "api");
      expect(env.CHRONORING_AUTH_MODE).toBe("jwt");
      expect(env.CHRONORING_AUTH_ISSUER).not.toBe("");
      expect(env.CHRONORING_AUTH_AUDIENCE).not.toBe("");
      const jwks = env.CHRONORING_AUTH_JWKS ?? "";
      if (overlay === "prod") expect(jwks).toMatch(/^https:\/\//);
      else {
        const pod = roleDeployment(objects(), "api").spec.template.spec;
        const mount = pod.containers[0].volumeMounts.find(
          (m: K8sObject) => m.mountPath === posix.dirname(jwks),
        );
        const volume = pod.volumes.find((v: K8sObject) => v.name === mount?.name);
        expect(volume?.configMap?.name).toBe("chronoring-jwks");
        expect(posix.basename(jwks)).toBe("jwks.json");
      }
    });
  },
);
