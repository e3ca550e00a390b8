/**
 * The user a root worker runs scripts as (`script-user`): a user name, looked
 * up once at start, or `uid:gid`, taken as given (a uid need not exist in
 * /etc/passwd, as in containers). A worker that is not root cannot switch
 * users, so its scripts run as itself and the setting is only checked for
 * its form.
 */
import { execFileSync } from "node:child_process";
import { ConfigError } from "./settings.js";

/** Who scripts run as: the setting as written and what it resolved to. */
export interface ScriptUser {
  spec: string;
  uid: number;
  gid: number;
}

/** A user's uid and primary gid, or undefined when there is no such user. */
export type UserLookup = (name: string) => { uid: number; gid: number } | undefined;

const NUMERIC = /^(\d{1,10}):(\d{1,10})$/;
/** POSIX portable user names (plus the trailing `$` of machine accounts); never an option. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
/** (uid_t)-1 means "unchanged" to setuid(2): not a usable id. */
const ID_MAX = 4_294_967_294;

/**
 * Looks the name up with `id`, i.e. through NSS, so that a user from LDAP or
 * sssd resolves as a local one does; no native module needed.
 */
export const idLookup: UserLookup = (name) => {
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "--", name], { encoding: "utf8", stdio: "pipe" }).trim());
  try {
    const uid = id("-u");
    const gid = id("-g");
    return Number.isSafeInteger(uid) && Number.isSafeInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
};

/** Checks the form of the setting; throws ConfigError naming it (`where`). */
export function checkScriptUserSpec(spec: string, where: string): void {
  const numeric = NUMERIC.exec(spec);
  if (numeric) {
    if (Number(numeric[1]) > ID_MAX || Number(numeric[2]) > ID_MAX) {
      throw new ConfigError(`${where}: "${spec}": uid and gid must be at most ${ID_MAX}`);
    }
    return;
  }
  if (!NAME.test(spec)) {
    throw new ConfigError(`${where}: "${spec}" is neither a user name nor uid:gid`);
  }
}

/**
 * Resolves the setting to a uid and gid; throws ConfigError naming it when
 * the user does not exist or is root (uid 0), which would undo the point of
 * switching.
 */
export function resolveScriptUser(
  spec: string,
  where: string,
  lookup: UserLookup = idLookup,
): ScriptUser {
  checkScriptUserSpec(spec, where);
  const numeric = NUMERIC.exec(spec);
  const ids = numeric ? { uid: Number(numeric[1]), gid: Number(numeric[2]) } : lookup(spec);
  if (ids === undefined) {
    throw new ConfigError(
      `${where}: no user "${spec}" on this host; scripts of a worker running as root need an unprivileged user (a name or uid:gid)`,
    );
  }
  if (ids.uid === 0) {
    throw new ConfigError(
      `${where}: "${spec}" is root (uid 0); scripts must run as an unprivileged user`,
    );
  }
  return { spec, ...ids };
}
