import { beforeAll, describe, expect, it } from "vitest";
import { loadTestConfig } from "../../support/host.js";
import {
  containerEnv,
  type K8sObject,
  OVERLAYS,
  ofKind,
  render,
  roleDeployment,
  selects,
  skipWithoutKubectl,
} from "./k8s-render.js";

type Dir = "ingress" | "egress";
interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}

/**
 * Whether the NetworkPolicies let a pod with `labels` send (egress) or take (ingress) TCP or
 * UDP traffic on `port`, with a peer that `peer` accepts (a rule naming no peers takes any).
 */
function allowed(
  objects: K8sObject[],
  labels: Record<string, string>,
  dir: Dir,
  port: number,
  peer: (p: Peer) => boolean = () => true,
  protocol = "TCP",
): boolean {
  const policyType = dir === "ingress" ? "Ingress" : "Egress";
  return ofKind(objects, "NetworkPolicy")
    .filter((p) => p.spec.policyTypes.includes(policyType))
    .filter((p) => selects(p.spec.podSelector.matchLabels, labels))
    .some((p) =>
      (p.spec[dir] ?? []).some((rule: K8sObject) => {
        const ports: Array<{ port?: number; protocol?: string }> | undefined = rule.ports;
        const portOk =
          !ports ||
          ports.some((pp) => (pp.protocol ?? "TCP") === protocol && (pp.port ?? port) === port);
        const peers: Peer[] | undefined = rule[dir === "ingress" ? "from" : "to"];
        return portOk && (!peers || peers.some(peer));
      }),
    );
}

const inNamespace = (name: string) => (p: Peer) =>
  p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === name;
/** kube-dns exactly: a selector with labels of ours besides would match no DNS pod. */
const kubeDns = (p: Peer) =>
  inNamespace("kube-system")(p) &&
  JSON.stringify(p.podSelector?.matchLabels) === JSON.stringify({ "k8s-app": "kube-dns" });
const podsOf = (labels: Record<string, string>) => (p: Peer) =>
  !p.namespaceSelector && !p.ipBlock && selects(p.podSelector?.matchLabels, labels);

const ROLES = ["api", "scheduler", "worker"];

describe.skipIf(skipWithoutKubectl()).each(OVERLAYS)(
  "deploy/k8s/overlays/%s network policies",
  (overlay) => {
    const objects = () => render(overlay);
    // kubectl renders in the hook (its timeout), not in the first test (5 s on a busy machine).
    beforeAll(() => {
      render(overlay);
    });
    const pod = (role: string) => {
      const deployment = roleDeployment(objects(), role);
      const env = containerEnv(objects(), deployment.spec.template.spec.containers[0]);
      return { labels: deployment.spec.template.metadata.labels, config: loadTestConfig(env) };
    };
    const labelsOf = (kind: string, name: string) =>
      objects().find((o) => o.kind === kind && o.metadata.name === name)?.spec.template.metadata
        .labels;

    it("deny whatever no policy allows, for every pod of the namespace", () => {
      const deny = ofKind(objects(), "NetworkPolicy").find(
        (p) =>
          Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0 &&
          !p.spec.ingress &&
          !p.spec.egress,
      );
      expect(deny?.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    });

    it("let clients reach the API port, and only that", () => {
      const { labels, config } = pod("api");
      expect(allowed(objects(), labels, "ingress", config.api.port)).toBe(true);
      expect(allowed(objects(), labels, "ingress", config.api.port + 1)).toBe(false);
    });

    it.each(ROLES)("%s: let Prometheus (namespace monitoring) scrape the metrics port", (role) => {
      const { labels, config } = pod(role);
      const port = role === "api" ? config.api.port : config.metricsPort;
      expect(allowed(objects(), labels, "ingress", port, inNamespace("monitoring"))).toBe(true);
    });

    it.each(ROLES)("%s: let it resolve names, reach etcd and AWS", (role) => {
      const { labels, config } = pod(role);
      expect(allowed(objects(), labels, "egress", 53, kubeDns, "UDP")).toBe(true);
      expect(allowed(objects(), labels, "egress", 53, kubeDns, "TCP")).toBe(true);
      for (const url of config.etcd.endpoints) {
        expect(allowed(objects(), labels, "egress", Number(new URL(url).port)), url).toBe(true);
      }
      if (config.aws.dynamodbEndpoint === "") {
        expect(allowed(objects(), labels, "egress", 443)).toBe(true);
      } else {
        const port = Number(new URL(config.aws.dynamodbEndpoint).port);
        expect(
          allowed(objects(), labels, "egress", port, podsOf(labelsOf("Deployment", "localstack"))),
        ).toBe(true);
      }
    });

    it("let workers call job targets anywhere but the instance metadata service", () => {
      const worker = pod("worker").labels;
      const outside = (p: Peer) => p.ipBlock?.cidr === "0.0.0.0/0";
      expect(allowed(objects(), worker, "egress", 8080, outside)).toBe(true);
      const open = ofKind(objects(), "NetworkPolicy")
        .filter((p) => selects(p.spec.podSelector.matchLabels, worker))
        .flatMap((p) => p.spec.egress ?? [])
        .filter((r: K8sObject) => !r.ports)
        .flatMap((r: K8sObject) => r.to as Peer[]);
      expect(open.length).toBeGreaterThan(0);
      for (const peer of open) expect(peer.ipBlock?.except).toContain("169.254.169.254/32");
    });

    it("let schedulers and the API call nothing beyond their backends", () => {
      for (const role of ["api", "scheduler"]) {
        expect(allowed(objects(), pod(role).labels, "egress", 8080), role).toBe(false);
      }
    });

    if (overlay === "dev") {
      it("let etcd members talk to each other and take Chronoring's calls", () => {
        const etcd = labelsOf("StatefulSet", "etcd");
        const chronoring = pod("scheduler").labels;
        expect(allowed(objects(), etcd, "ingress", 2379, podsOf(chronoring))).toBe(true);
        expect(allowed(objects(), etcd, "ingress", 2380, podsOf(etcd))).toBe(true);
        expect(allowed(objects(), etcd, "egress", 2380, podsOf(etcd))).toBe(true);
        expect(allowed(objects(), etcd, "egress", 53, kubeDns, "UDP")).toBe(true);
      });

      it("let LocalStack take Chronoring's and KEDA's calls", () => {
        const localstack = labelsOf("Deployment", "localstack");
        const chronoring = pod("worker").labels;
        expect(allowed(objects(), localstack, "ingress", 4566, podsOf(chronoring))).toBe(true);
        expect(allowed(objects(), localstack, "ingress", 4566, inNamespace("keda"))).toBe(true);
      });
    }
  },
);
