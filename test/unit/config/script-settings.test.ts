/**
 * The script settings: who scripts of a root worker run as (resolved once at
 * start, or the worker refuses to start), their process limit and the names
 * passed from the worker's environment.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, type Host, loadConfig } from "../../../src/config/config.js";
import { resolveScriptUser } from "../../../src/config/script-user.js";

const users: Record<string, { uid: number; gid: number }> = {
  nobody: { uid: 65534, gid: 65534 },
  root: { uid: 0, gid: 0 },
  "svc.batch": { uid: 1200, gid: 1300 },
};
const root: Host = { uid: 0, lookupUser: (name) => users[name] };
const notRoot: Host = { uid: 1000, lookupUser: (name) => users[name] };

// Auth off: these tests are about the script settings, not about a JWKS.
const load = (env: Record<string, string>, host: Host, argv: string[] = []) =>
  loadConfig(
    Object.fromEntries(
      Object.entries({ AUTH_MODE: "off", ...env }).map(([k, v]) => [`CHRONORING_${k}`, v]),
    ),
    argv,
    host,
  );

/** The ConfigError message, or a failure when none is thrown. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("script settings", () => {
  it("default: nobody for a root worker, 256 processes, nothing passed from the worker", () => {
    expect(load({}, root).worker).toMatchObject({
      scriptUser: { spec: "nobody", uid: 65534, gid: 65534 },
      scriptMaxProcs: 256,
      scriptEnvAllow: [],
    });
  });

  it("resolves a name or takes uid:gid as given, from the variable or the flag", () => {
    expect(load({ SCRIPT_USER: "svc.batch" }, root).worker.scriptUser).toEqual({
      spec: "svc.batch",
      uid: 1200,
      gid: 1300,
    });
    expect(load({}, root, ["--script-user", "4000:4001"]).worker.scriptUser).toEqual({
      spec: "4000:4001",
      uid: 4000,
      gid: 4001,
    });
  });

  it("refuses to start a root worker whose script user does not exist, naming the setting", () => {
    expect(configError(() => load({ SCRIPT_USER: "no-such-user" }, root))).toBe(
      'CHRONORING_SCRIPT_USER: no user "no-such-user" on this host; scripts of a worker running as root need an unprivileged user (a name or uid:gid)',
    );
  });

  it.each(["root", "0:0", "0:65534"])("refuses %s: scripts must not run as uid 0", (spec) => {
    expect(configError(() => load({ SCRIPT_USER: spec }, root))).toMatch(
      /^CHRONORING_SCRIPT_USER: ".*" is root \(uid 0\)/,
    );
  });

  it.each(["-rf", "a b", "x:y", "1:", "4294967295:1", ""])("refuses the malformed %j", (spec) => {
    expect(configError(() => load({ SCRIPT_USER: spec }, notRoot))).toMatch(
      /^CHRONORING_SCRIPT_USER: /,
    );
  });

  it("runs scripts as the worker's own user when it is not root: nothing to resolve", () => {
    expect(load({ SCRIPT_USER: "no-such-user" }, notRoot).worker.scriptUser).toBeUndefined();
    expect(load({}, { ...notRoot, uid: undefined }).worker.scriptUser).toBeUndefined();
  });

  it("resolves the user only in a process with the worker role", () => {
    expect(
      load({ ROLES: "api,scheduler", SCRIPT_USER: "no-such-user" }, root).worker.scriptUser,
    ).toBe(undefined);
  });

  it("reads the process limit (0: none) and the names to pass, refusing what is not a name", () => {
    const worker = load(
      { SCRIPT_MAX_PROCS: "0", SCRIPT_ENV_ALLOW: "NODE_OPTIONS, HTTPS_PROXY" },
      root,
    ).worker;
    expect(worker.scriptMaxProcs).toBe(0);
    expect(worker.scriptEnvAllow).toEqual(["NODE_OPTIONS", "HTTPS_PROXY"]);
    expect(configError(() => load({ SCRIPT_MAX_PROCS: "-1" }, root))).toMatch(
      /^CHRONORING_SCRIPT_MAX_PROCS: /,
    );
    expect(configError(() => load({ SCRIPT_ENV_ALLOW: "OK,NOT-A-NAME" }, root))).toBe(
      'CHRONORING_SCRIPT_ENV_ALLOW: "NOT-A-NAME" is not a variable name',
    );
  });
});

describe("resolveScriptUser on this host (id, through NSS)", () => {
  it("resolves nobody to what id says", () => {
    const id = (flag: string) => Number(execFileSync("id", [flag, "nobody"], { encoding: "utf8" }));
    expect(resolveScriptUser("nobody", "--script-user")).toEqual({
      spec: "nobody",
      uid: id("-u"),
      gid: id("-g"),
    });
  });

  it("does not find a user that does not exist", () => {
    expect(() => resolveScriptUser("chronoring-no-such-user", "--script-user")).toThrow(
      /^--script-user: no user "chronoring-no-such-user"/,
    );
  });
});
