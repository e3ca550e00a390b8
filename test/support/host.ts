import { type Host, loadConfig } from "../../src/config/config.js";
import { idLookup, type UserLookup } from "../../src/config/script-user.js";

const known = new Map<string, { uid: number; gid: number }>();

/**
 * `idLookup` (the `id` command, twice), once per user name per test process: loadConfig of a
 * worker running as root resolves its script user, and tests load configs by the dozen (one
 * per app, per test, per deploy file), each a pair of processes to start. A name not found is
 * asked again: a test may add the user.
 */
const cachedLookup: UserLookup = (name) => {
  const hit = known.get(name);
  if (hit) return hit;
  const ids = idLookup(name);
  if (ids) known.set(name, ids);
  return ids;
};

/** This host, as loadConfig sees it, with the user lookups cached. */
export const testHost: Host = { uid: process.getuid?.(), lookupUser: cachedLookup };

/** `loadConfig` on `testHost`. */
export function loadTestConfig(env: NodeJS.ProcessEnv, argv: string[] = []) {
  return loadConfig(env, argv, testHost);
}
