/**
 * CHRONORING_DATABASE_CONNECTIONS: the PostgreSQL databases a worker's
 * `database` jobs may name. A JSON object, or the path of a file holding one
 * (so that passwords can stay in a mounted secret):
 *
 *   {"reports": {"host": "db.internal", "port": 5432, "database": "reports",
 *                "user": "chronoring", "password_file": "/run/secrets/reports",
 *                "ssl": true, "max_connections": 4}}
 */

import { readFileSync } from "node:fs";
import {
  DATABASE_CONNECTION_PATTERN,
  type DatabaseConnectionSettings,
} from "../core/database-target.js";
import { ConfigError, envName } from "./settings.js";

const KEYS = new Set([
  "host",
  "port",
  "database",
  "user",
  "password",
  "password_file",
  "ssl",
  "max_connections",
]);

/** Parses the setting; `""` means none. Throws ConfigError naming the connection and key. */
export function databaseConnections(raw: string): Record<string, DatabaseConnectionSettings> {
  const where = envName("database-connections");
  const text = raw.trim();
  if (text === "") return {};
  let json = text;
  // JSON starts with a bracket; anything else is the path of a file holding it.
  if (!text.startsWith("{") && !text.startsWith("[")) {
    try {
      json = readFileSync(text, "utf8");
    } catch (err) {
      throw new ConfigError(`${where}: cannot read "${text}": ${(err as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${where}: not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new ConfigError(`${where}: must be a JSON object of connections`);
  const out: Record<string, DatabaseConnectionSettings> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!DATABASE_CONNECTION_PATTERN.test(name)) {
      throw new ConfigError(`${where}: "${name}": names are 1 to 64 characters of [a-z0-9-]`);
    }
    out[name] = connection(entry, `${where}.${name}`);
  }
  return out;
}

function connection(entry: unknown, where: string): DatabaseConnectionSettings {
  if (!isObject(entry)) throw new ConfigError(`${where}: must be an object`);
  for (const key of Object.keys(entry)) {
    if (!KEYS.has(key)) {
      throw new ConfigError(`${where}: unknown key "${key}" (${[...KEYS].join(", ")})`);
    }
  }
  const text = (key: string, required: boolean): string | undefined => {
    const v = entry[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") {
      throw new ConfigError(`${where}.${key}: must be a non-empty string`);
    }
    return v;
  };
  const int = (key: string, fallback: number, max: number): number => {
    const v = entry[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
      throw new ConfigError(`${where}.${key}: must be an integer from 1 to ${max}`);
    }
    return v;
  };
  const password = text("password", false);
  const passwordFile = text("password_file", false);
  if (password !== undefined && passwordFile !== undefined) {
    throw new ConfigError(`${where}: give password or password_file, not both`);
  }
  const ssl = entry.ssl ?? false;
  if (ssl !== true && ssl !== false && ssl !== "no-verify") {
    throw new ConfigError(`${where}.ssl: must be true, false or "no-verify"`);
  }
  return {
    host: text("host", true)!,
    port: int("port", 5432, 65_535),
    database: text("database", true)!,
    user: text("user", true)!,
    ...(password !== undefined ? { password } : {}),
    ...(passwordFile !== undefined ? { passwordFile } : {}),
    ssl: ssl === true ? "verify" : ssl === false ? "off" : "no-verify",
    maxConnections: int("max_connections", 4, 100),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
