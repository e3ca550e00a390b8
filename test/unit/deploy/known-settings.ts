import { settingEnvNames } from "../../../src/config/settings.js";

/**
 * TEMPORARY ALLOW-LIST — settings that the deploy files already use while the code that
 * reads them is still being added (auth, metrics auth, the target allow-list, the API body
 * limit). Remove each name once src/config/settings.ts has it (the test
 * "names no setting that has landed" in settings-allow-list.test.ts fails until you do),
 * and this list with the last one.
 */
export const PENDING_SETTINGS: readonly string[] = ["CHRONORING_API_MAX_BODY_BYTES"];

/** The names a deploy file may set: every real setting, and the pending ones above. */
export function knownSettings(): Set<string> {
  return new Set([...settingEnvNames(), ...PENDING_SETTINGS]);
}

/** The `CHRONORING_*` names among `names` that are not settings. */
export function unknownSettings(names: Iterable<string>): string[] {
  const known = knownSettings();
  return [...names].filter((n) => n.startsWith("CHRONORING_") && !known.has(n)).sort();
}
