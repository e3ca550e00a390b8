import { settingEnvNames } from "../../../src/config/settings.js";

/** The `CHRONORING_*` names among `names` that are not settings (a typo in a deploy file). */
export function unknownSettings(names: Iterable<string>): string[] {
  const known = new Set(settingEnvNames());
  return [...names].filter((n) => n.startsWith("CHRONORING_") && !known.has(n)).sort();
}
