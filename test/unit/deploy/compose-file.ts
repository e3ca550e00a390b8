import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Config } from "../../../src/config/config.js";
import { loadTestConfig } from "../../support/host.js";

/** The repository root and the compose folder (paths in compose.yaml are relative to it). */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const COMPOSE_DIR = resolve(REPO, "deploy/compose");

/** The parts of a Compose service these checks read (compose.yaml uses the map forms). */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
  command?: string[] | string;
  entrypoint?: string[] | string;
  expose?: Array<string | number>;
  ports?: string[];
  volumes?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  read_only?: boolean;
  tmpfs?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  user?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A YAML file of the repository; `<<` merge keys resolved, as Compose does. */
export function readYaml<T>(path: string): T {
  return parse(readFileSync(resolve(REPO, path), "utf8"), { merge: true }) as T;
}

export const loadCompose = () => readYaml<ComposeFile>("deploy/compose/compose.yaml");

/** A service's environment as strings (what the process sees). */
export function environment(svc: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(svc.environment ?? {}).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}

/** A Chronoring process of the file: a service that sets CHRONORING_ROLES. */
export interface ChronoringProcess {
  name: string;
  svc: ComposeService;
  env: Record<string, string>;
  /** Its settings, loaded as the process loads them (throws on a bad value). */
  config: Config;
}

/** Loaded once per file: loading a process's settings is the costly part of these checks. */
const processesOf = new WeakMap<ComposeFile, ChronoringProcess[]>();

export function chronoringProcesses(file: ComposeFile): ChronoringProcess[] {
  const known = processesOf.get(file);
  if (known) return known;
  const found = Object.entries(file.services)
    .filter(([, svc]) => environment(svc).CHRONORING_ROLES !== undefined)
    .map(([name, svc]) => {
      const env = environment(svc);
      return { name, svc, env, config: loadTestConfig(env) };
    });
  processesOf.set(file, found);
  return found;
}

/** Where a Chronoring process serves /metrics: the API port, or CHRONORING_METRICS_PORT. */
export function metricsPort(config: Config): number {
  return config.roles.includes("api") ? config.api.port : config.metricsPort;
}

/** The ports a service listens on: from its settings, or its `expose` and `ports`. */
export function listenPorts(file: ComposeFile, name: string): number[] {
  const svc = file.services[name];
  if (!svc) return [];
  const proc = chronoringProcesses(file).find((p) => p.name === name);
  if (proc) {
    const { config } = proc;
    return config.roles.includes("api") ? [config.api.port] : [config.metricsPort];
  }
  const published = (svc.ports ?? []).map((p) => Number(p.split(":").at(-1)));
  return [...(svc.expose ?? []).map(Number), ...published];
}

/** The services that run with `profile` enabled: those without profiles, and its own. */
export function activeServices(file: ComposeFile, profile: string): string[] {
  return Object.entries(file.services)
    .filter(([, svc]) => !svc.profiles || svc.profiles.includes(profile))
    .map(([name]) => name);
}

/** The active services a host name reaches: by service name or network alias. */
export function servicesNamed(file: ComposeFile, profile: string, host: string): string[] {
  return activeServices(file, profile).filter((name) => {
    if (name === host) return true;
    const networks = file.services[name]?.networks ?? {};
    return Object.values(networks).some((n) => n?.aliases?.includes(host));
  });
}

/** Every `http(s)://host:port` in a text; 0.0.0.0 is a bind address, never a destination. */
export function urlsIn(text: string): Array<{ host: string; port: number }> {
  return [...text.matchAll(/\bhttps?:\/\/([A-Za-z0-9.-]+):(\d+)/g)]
    .map((m) => ({ host: m[1]!, port: Number(m[2]) }))
    .filter((u) => u.host !== "0.0.0.0");
}

/** A Compose duration ("40s", "1m30s") in seconds. */
export function durationS(text: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === "") throw new Error(`not a duration: ${text}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/** A volume entry's source and target (`source:target[:mode]`). */
export function mounts(svc: ComposeService): Array<{ source: string; target: string }> {
  return (svc.volumes ?? []).map((v) => {
    const [source = "", target = ""] = v.split(":");
    return { source, target };
  });
}
