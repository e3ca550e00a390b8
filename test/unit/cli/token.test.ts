/**
 * `chronoring token` (npm run token) as a user runs it: a token that the
 * server's verifier accepts, with the tenant, roles, subject and lifetime
 * asked for; bad arguments get a message naming the option.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwksSource } from "../../../src/auth/jwks-source.js";
import { ensureLocalKey, LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../../src/auth/local-key.js";
import { createTokenVerifier } from "../../../src/auth/verify-token.js";
import { systemClock } from "../../../src/core/clock.js";

const ROOT = resolve(import.meta.dirname, "../../..");
let dir: string;
let jwksPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "chronoring-cli-"));
  ({ jwksPath } = await ensureLocalKey(dir));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stdout, or "exit N: <first line of stderr>". */
async function token(...args: string[]): Promise<string> {
  const cli = ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "token"];
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...cli, "--key", join(dir, "signing-key.json"), ...args],
      { cwd: ROOT },
    );
    return stdout.trim();
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return `exit ${e.code}: ${(e.stderr ?? "").split("\n")[0]}`;
  }
}

describe("chronoring token", () => {
  it("mints a token the server accepts, with the claims asked for", {
    timeout: 30_000,
  }, async () => {
    const minted = await token(
      "--tenant",
      "acme",
      "--roles",
      "editor,viewer",
      "--ttl",
      "2h",
      "--sub",
      "ci",
    );
    const verifier = createTokenVerifier({
      keys: createJwksSource({
        location: jwksPath,
        clock: systemClock,
        logger: pino({ enabled: false }),
      }),
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      clock: systemClock,
    });
    expect((await verifier.verify(minted)).ok).toBe(true);
    const claims = decodeJwt(minted);
    expect(claims).toMatchObject({ tenant: "acme", roles: ["editor", "viewer"], sub: "ci" });
    expect(claims.exp! - claims.iat!).toBe(7200);
  });

  // Each case starts a CLI process (tsx): seconds each on a busy machine.
  it("refuses bad arguments with exit 2 (usage), naming the option", {
    timeout: 60_000,
  }, async () => {
    const [role, tenant, ttl, none] = await Promise.all([
      token("--tenant", "acme", "--roles", "root"),
      token("--tenant", "Acme", "--roles", "viewer"),
      token("--tenant", "acme", "--roles", "viewer", "--ttl", "soon"),
      token("--roles", "viewer"),
    ]);
    expect({
      "unknown role": role,
      "bad tenant": tenant,
      "bad ttl": ttl,
      "no tenant": none,
    }).toEqual({
      "unknown role":
        "exit 2: error: option '--roles <roles>' argument 'root' is invalid. \"root\" is not one of viewer, operator, editor, admin",
      "bad tenant":
        "exit 2: error: option '--tenant <tenant>' argument 'Acme' is invalid. not a tenant name (^[a-z0-9][a-z0-9-]{0,62}$)",
      "bad ttl":
        "exit 2: error: option '--ttl <duration>' argument 'soon' is invalid. a duration such as 90s, 15m, 1h or 7d",
      "no tenant": "exit 2: error: required option '--tenant <tenant>' not specified",
    });
  });
});
