/**
 * The signing keys, from a JWKS file and from an https URL (a local server
 * with a self-signed certificate): both keys of a rotation verify, a key
 * added later is picked up on an unknown kid, the JWKS is read again at most
 * once per 30 s (counted), and a removed key stops working after 10 minutes.
 * Time is a fake clock; tokens are minted at its time.
 */

import { rmSync, writeFileSync } from "node:fs";
import { SignJWT } from "jose";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createJwksSource } from "../../../src/auth/jwks-source.js";
import { generateSigningKey } from "../../../src/auth/local-key.js";
import type { SigningKey } from "../../../src/auth/mint.js";
import { createTokenVerifier } from "../../../src/auth/verify-token.js";
import { TEST_AUDIENCE, TEST_ISSUER, type TestAuth, testAuth } from "../../support/auth.js";
import { fakeClock } from "../../support/fake-clock.js";
import { type HttpsJwksServer, startHttpsJwks } from "../../support/https-jwks.js";

const T0 = Date.UTC(2026, 5, 1);
const silent = pino({ level: "silent" });

describe.each(["file", "https"] as const)("signing keys from a JWKS %s", (kind) => {
  let auth: TestAuth;
  let server: HttpsJwksServer | undefined;

  beforeAll(async () => {
    if (kind === "https") server = await startHttpsJwks(() => auth.jwks());
  });
  afterAll(() => server?.close());
  beforeEach(async () => {
    auth = await testAuth("ES256");
  });
  afterEach(() => auth.cleanup());

  /** A source and verifier on a fake clock, and how often they read the JWKS. */
  function setup() {
    const clock = fakeClock(T0);
    const keys = createJwksSource({
      location: server ? server.url : auth.jwksPath,
      clock,
      logger: silent,
      ...(server ? { fetch: server.fetch } : {}),
    });
    const verifier = createTokenVerifier({
      keys,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      clock,
    });
    const before = server?.fetches() ?? 0;
    // https: the server's count of GETs; a file: the source's count of reads.
    const reads = () => (server ? server.fetches() - before : keys.loads());
    const check = async (key?: SigningKey) => {
      const token = await auth.token({ nowMs: clock.now(), ...(key ? { key } : {}) });
      const result = await verifier.verify(token);
      return result.ok ? "ok" : result.reason;
    };
    return { clock, keys, verifier, reads, check };
  }

  it("verifies tokens of either key while two are published (a rotation)", async () => {
    const { keys, check, reads } = setup();
    const second = await auth.newKey();
    await keys.load();
    expect([await check(), await check(second)]).toEqual(["ok", "ok"]);
    expect(reads()).toBe(1);
  });

  it("picks up a key added later on its unknown kid, once 30 s have passed since the last read", async () => {
    const { clock, keys, check, reads } = setup();
    await keys.load();
    const added = await auth.newKey();
    clock.advance(10_000);
    // Within the cooldown the kid stays unknown and the JWKS is not read again.
    expect(await check(added)).toBe("unknown signing key");
    expect(reads()).toBe(1);
    clock.advance(20_000);
    expect(await check(added)).toBe("ok");
    expect(reads()).toBe(2);
  });

  it("reads the JWKS at most once per 30 s however many unknown kids arrive", async () => {
    const { clock, keys, check, reads } = setup();
    await keys.load();
    const unpublished = await auth.newKey({ publish: false });
    const readsAt = new Map<number, number>();
    for (let s = 0; s <= 100; s += 5) {
      clock.set(T0 + s * 1000);
      const outcomes = await Promise.all([1, 2, 3].map(() => check(unpublished)));
      expect(outcomes).toEqual([
        "unknown signing key",
        "unknown signing key",
        "unknown signing key",
      ]);
      readsAt.set(s, reads());
    }
    // The first read at 0 s, then one at 30, 60 and 90 s: never two within 30 s.
    expect([0, 25, 30, 55, 60, 85, 90, 100].map((s) => readsAt.get(s))).toEqual([
      1, 1, 2, 2, 3, 3, 4, 4,
    ]);
  });

  it("verifies a token without kid against each key of its algorithm", async () => {
    const { check, keys, clock, verifier } = setup();
    const other = await auth.newKey();
    await keys.load();
    const noKid = (key: SigningKey) =>
      new SignJWT({ tenant: "default", roles: ["viewer"] })
        .setProtectedHeader({ alg: key.alg })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
        .sign(key.privateKey);
    const stranger = (await generateSigningKey("ES256")).key;
    const outcomes = await Promise.all(
      [auth.key, other, stranger].map(async (key) => {
        const result = await verifier.verify(await noKid(key));
        return result.ok ? "ok" : result.reason;
      }),
    );
    expect(outcomes).toEqual(["ok", "ok", "signature invalid"]);
    expect(await check()).toBe("ok");
  });

  it("stops accepting a removed key once the cached set is 10 minutes old", async () => {
    const { clock, keys, check } = setup();
    const leaving = await auth.newKey();
    await keys.load();
    expect(await check(leaving)).toBe("ok");
    auth.unpublish(leaving);
    clock.advance(9 * 60_000);
    expect(await check(leaving)).toBe("ok");
    clock.advance(60_000);
    expect(await check(leaving)).toBe("unknown signing key");
    expect(await check()).toBe("ok");
  });
});

describe("a JWKS that cannot be used", () => {
  let auth: TestAuth;
  beforeEach(async () => {
    auth = await testAuth();
  });
  afterEach(() => auth.cleanup());

  it("is refused when it publishes a private key, or is not there", async () => {
    const clock = fakeClock(T0);
    const leak = `${auth.jwksPath}.leak.json`;
    writeFileSync(leak, JSON.stringify({ keys: [(await generateSigningKey()).privateJwk] }));
    const load = (location: string) =>
      createJwksSource({ location, clock, logger: silent })
        .load()
        .then(
          () => "loaded",
          (err: Error) => err.message,
        );
    expect(await load(leak)).toMatch(/holds a private key/);
    expect(await load(`${auth.jwksPath}.missing`)).toMatch(/ENOENT/);
    expect(await load(auth.jwksPath)).toBe("loaded");
  });

  it("gives Unavailable while no key was ever loaded, and keeps cached keys when a reload fails", async () => {
    const clock = fakeClock(T0);
    const later = `${auth.jwksPath}.later.json`;
    const keys = createJwksSource({ location: later, clock, logger: silent });
    const verifier = createTokenVerifier({
      keys,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      clock,
    });
    const check = async () => {
      const result = await verifier.verify(await auth.token({ nowMs: clock.now() }));
      return result.ok ? "ok" : `${result.kind}: ${result.reason}`;
    };
    expect(await check()).toBe("unavailable: signing keys unavailable, retry later");
    writeFileSync(later, JSON.stringify(auth.jwks()));
    clock.advance(1000);
    expect(await check()).toBe("ok");
    rmSync(later);
    clock.advance(11 * 60_000);
    // The reload fails; the keys already loaded still verify.
    expect(await check()).toBe("ok");
  });
});
