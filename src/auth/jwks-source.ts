/**
 * The token signing keys: a JWKS read from a file or fetched from an https
 * URL, cached, and read again when a token names a key the cache lacks, at
 * most once per cooldown (30 s), so that a flood of tokens with made-up `kid`s
 * cannot make us hammer the identity provider or the disk.
 *
 * jose's `createRemoteJWKSet` does this for URLs only, on the wall clock, and
 * counts its cooldown from the last successful fetch (a failing IdP is asked
 * again on every request). This keeps jose's key selection
 * (`createLocalJWKSet`: kid, alg, use, key_ops) and owns the loading, so that
 * a file and a URL behave the same, the cooldown counts every attempt, and
 * tests drive it with a fake clock.
 */

import { readFile } from "node:fs/promises";
import {
  type CryptoKey,
  createLocalJWKSet,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from "jose";
import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";

/** A fetch for the https JWKS; tests pass one that trusts their own CA. */
export type JwksFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface JwksSourceOptions {
  /** A file path or an https URL. */
  location: string;
  clock: Clock;
  logger: Logger;
  /** Least time between two loads for an unknown key or a stale set (default 30 s). */
  cooldownMs?: number;
  /** A set older than this is loaded again before it is used (default 10 min), so a removed key stops working. */
  maxAgeMs?: number;
  /** Least time between two loads while no set was ever loaded (default 1 s). */
  missingRetryMs?: number;
  /** Per fetch (default 5 s). */
  fetchTimeoutMs?: number;
  fetch?: JwksFetch;
}

/** The keys could not be loaded and none are cached: the token cannot be checked now. */
export class KeysUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeysUnavailableError";
  }
}

export interface JwksSource {
  /** jose's key lookup for `jwtVerify`; throws jose's `JWKSNoMatchingKey` or `KeysUnavailableError`. */
  key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>;
  /** Loads the set now (at start, to fail early on a bad file); throws what went wrong. */
  load(): Promise<void>;
  /** Loads tried so far (tests count them). */
  loads(): number;
}

const MAX_JWKS_BYTES = 1024 * 1024;

export function createJwksSource(opts: JwksSourceOptions): JwksSource {
  const { clock, location } = opts;
  const cooldownMs = opts.cooldownMs ?? 30_000;
  const maxAgeMs = opts.maxAgeMs ?? 600_000;
  const missingRetryMs = opts.missingRetryMs ?? 1000;
  const isUrl = /^https:\/\//i.test(location);
  const log = opts.logger.child({ component: "jwks", jwks: location });

  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let triedAt = Number.NEGATIVE_INFINITY;
  let tries = 0;
  let pending: Promise<void> | undefined;

  const read = async (): Promise<unknown> => {
    if (!isUrl) {
      const text = await readFile(location, "utf8");
      if (text.length > MAX_JWKS_BYTES) throw new Error("larger than 1 MiB");
      return JSON.parse(text);
    }
    const res = await (opts.fetch ?? fetch)(location, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/jwk-set+json, application/json" },
      signal: AbortSignal.timeout(opts.fetchTimeoutMs ?? 5000),
    });
    if (res.status !== 200) throw new Error(`answered HTTP ${res.status}`);
    const body = await res.arrayBuffer();
    if (body.byteLength > MAX_JWKS_BYTES) throw new Error("larger than 1 MiB");
    return JSON.parse(new TextDecoder().decode(body));
  };

  const reload = (): Promise<void> => {
    pending ??= (async () => {
      triedAt = clock.now();
      tries++;
      try {
        const json = await read();
        const set = createLocalJWKSet(publicOnly(json));
        keys = set;
        loadedAt = clock.now();
        log.debug({ keys: (json as JSONWebKeySet).keys.length }, "signing keys loaded");
      } catch (err) {
        throw new KeysUnavailableError(`cannot load the JWKS ${location}: ${describe(err)}`, {
          cause: err,
        });
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  /** Loads again unless the last try was within `waitMs`; a failure keeps the keys we have. */
  const refresh = async (waitMs: number): Promise<boolean> => {
    if (pending) {
      await pending.catch(() => {});
      return true;
    }
    if (clock.now() - triedAt < waitMs) return false;
    try {
      await reload();
    } catch (err) {
      log.warn({ err: describe(err) }, "signing keys not reloaded; keeping the ones cached");
      return false;
    }
    return true;
  };

  const key: JwksSource["key"] = async (header, token) => {
    if (!keys) {
      await refresh(missingRetryMs);
      if (!keys) throw new KeysUnavailableError(`no signing keys loaded from ${location} yet`);
    } else if (clock.now() - loadedAt >= maxAgeMs) {
      await refresh(cooldownMs);
    }
    const current = keys;
    try {
      return await current(header, token);
    } catch (err) {
      if (!isNoMatchingKey(err)) throw err;
      // A key we do not know: perhaps the IdP has rotated. Ask again, within the cooldown.
      if (!(await refresh(cooldownMs)) || keys === current) throw err;
      return keys(header, token);
    }
  };

  return { key, load: reload, loads: () => tries };
}

/** A JWKS that publishes a private key is a leak, not a key set: refuse it whole. */
function publicOnly(json: unknown): JSONWebKeySet {
  const set = json as JSONWebKeySet;
  if (typeof set !== "object" || set === null || !Array.isArray(set.keys)) {
    throw new Error('not a JWKS (no "keys" array)');
  }
  if (set.keys.some((k) => typeof k === "object" && k !== null && "d" in k)) {
    throw new Error("holds a private key");
  }
  return set;
}

function isNoMatchingKey(err: unknown): boolean {
  return (err as { code?: unknown })?.code === "ERR_JWKS_NO_MATCHING_KEY";
}

function describe(err: unknown): string {
  if (err instanceof KeysUnavailableError) return err.message;
  const e = err as { code?: unknown; message?: unknown };
  return typeof e?.code === "string" && typeof e.message === "string"
    ? `${e.code}: ${e.message}`
    : String((e?.message as string | undefined) ?? err);
}
