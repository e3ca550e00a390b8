import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseAllDocuments } from "yaml";
import { REPO } from "./compose-file.js";

export const OVERLAYS = ["dev", "prod"] as const;
export type Overlay = (typeof OVERLAYS)[number];

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are walked by path in the checks
type Field = any;
export type K8sObject = { apiVersion: string; kind: string; metadata: Metadata } & Record<
  string,
  Field
>;
interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The schema model of every kind the overlays may render; another kind fails the checks. */
export const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

/** Whether a kubectl with the kustomize subcommand is on PATH. */
export function hasKubectl(): boolean {
  return spawnSync("kubectl", ["kustomize", "--help"], { stdio: "ignore" }).status === 0;
}

/**
 * Whether to skip the manifest checks: only without kubectl and outside CI. In CI they
 * always run (and fail without kubectl): deploy/local/install-backends.sh installs it.
 */
export function skipWithoutKubectl(): boolean {
  if (hasKubectl() || process.env.CI) return false;
  process.stderr.write(
    "deploy/k8s checks SKIPPED: no kubectl on PATH (bash deploy/local/install-backends.sh installs it)\n",
  );
  return true;
}

const cache = new Map<Overlay, K8sObject[]>();

/** An overlay as `kubectl kustomize` renders it (the objects `kubectl apply -k` would send). */
export function render(overlay: Overlay): K8sObject[] {
  let objects = cache.get(overlay);
  if (!objects) {
    const dir = resolve(REPO, "deploy/k8s/overlays", overlay);
    if (!hasKubectl()) {
      throw new Error("no kubectl on PATH: bash deploy/local/install-backends.sh installs it");
    }
    const text = execFileSync("kubectl", ["kustomize", dir], {
      encoding: "utf8",
      // Newer kustomize warns on stderr about the fields kubectl 1.20 needs.
      stdio: ["ignore", "pipe", "pipe"],
    });
    objects = parseAllDocuments(text)
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
    cache.set(overlay, objects);
  }
  return objects;
}

export const ofKind = (objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind);

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** Whether a `matchLabels` selector selects these labels ({} selects everything). */
export function selects(matchLabels: Record<string, string> | undefined, labels = {}): boolean {
  const have = labels as Record<string, string>;
  return Object.entries(matchLabels ?? {}).every(([k, v]) => have[k] === v);
}

/** The Deployment of a Chronoring role. */
export function roleDeployment(objects: K8sObject[], role: string): K8sObject {
  const found = ofKind(objects, "Deployment").filter((d) =>
    selects(
      { "app.kubernetes.io/name": "chronoring", "app.kubernetes.io/component": role },
      d.spec.template.metadata.labels,
    ),
  );
  if (found.length !== 1) throw new Error(`${found.length} Deployments for role ${role}`);
  return found[0]!;
}

/** The name a fieldRef stands for when a pod's environment is read here. */
export const POD_NAME = "chronoring-pod-0";

/**
 * A container's environment as the process sees it: its ConfigMaps (envFrom), then its own
 * env, fieldRefs to the pod's name resolved to POD_NAME.
 */
export function containerEnv(objects: K8sObject[], container: K8sObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = named(objects, "ConfigMap", from.configMapRef.name);
    Object.assign(env, cm.data ?? {});
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = POD_NAME;
    else throw new Error(`env ${e.name}: a source these checks do not read`);
  }
  return env;
}
