/**
 * The dev stack's auth (deploy/local/dev-auth.ts): a local key made once and
 * kept, its JWKS for the API and an admin token of tenant default that the
 * JWKS verifies; the environment's CHRONORING_AUTH_* settings when set; none
 * with auth off.
 */

import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { devAuth } from "../../../deploy/local/dev-auth.js";
import { createAuthenticator } from "../../../src/auth/authenticate.js";
import { createJwksSource } from "../../../src/auth/jwks-source.js";
import { createTokenVerifier } from "../../../src/auth/verify-token.js";
import { systemClock } from "../../../src/core/clock.js";

const dataDir = mkdtempSync(join(tmpdir(), "chronoring-dev-auth-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("npm run dev's auth", () => {
  it("makes a key once, and an admin token of tenant default its JWKS verifies", async () => {
    const first = await devAuth(dataDir, {});
    const again = await devAuth(dataDir, {});
    expect(readFileSync(join(dataDir, "auth", "jwks.json"), "utf8")).toContain('"use": "sig"');
    expect(statSync(join(dataDir, "auth", "signing-key.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, "auth", "admin.token"), "utf8").trim()).toBe(again.token);
    const authenticator = createAuthenticator({
      verifier: createTokenVerifier({
        keys: createJwksSource({
          location: again.env.CHRONORING_AUTH_JWKS!,
          clock: systemClock,
          logger: pino({ enabled: false }),
        }),
        issuer: again.env.CHRONORING_AUTH_ISSUER!,
        audience: again.env.CHRONORING_AUTH_AUDIENCE!,
        clock: systemClock,
      }),
    });
    // The key is kept across restarts: the first run's token still verifies.
    for (const token of [first.token, again.token]) {
      expect(await authenticator.authenticate(`Bearer ${token}`)).toEqual({
        ok: true,
        caller: { subject: "dev-admin", tenant: "default", role: "admin" },
      });
    }
  });

  it("uses the environment's settings when CHRONORING_AUTH_JWKS is set, and none when auth is off", async () => {
    const external = await devAuth(dataDir, {
      CHRONORING_AUTH_JWKS: "https://idp.example.com/jwks",
      CHRONORING_DEV_TOKEN: "t0ken",
    });
    expect([external.env, external.token, external.off]).toEqual([{}, "t0ken", undefined]);
    const off = await devAuth(dataDir, { CHRONORING_AUTH_MODE: "off" });
    expect([off.env, off.token, off.off]).toEqual([{}, undefined, true]);
  });
});
