import { execFileSync, spawnSync } from "node:child_process";
import { createPublicKey, type JsonWebKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMPOSE_DIR, environment, loadCompose, mounts } from "./compose-file.js";

const SCRIPT = resolve(COMPOSE_DIR, "dev-auth/dev-auth.mjs");
const file = loadCompose();
const api = file.services.api!;
const devAuth = file.services["dev-auth"]!;
const apiEnv = environment(api);
const devEnv = environment(devAuth);

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

describe("compose's API checks JWTs against the development key", () => {
  it("runs in jwt mode, reading the JWKS that dev-auth writes", () => {
    expect(apiEnv.CHRONORING_AUTH_MODE).toBe("jwt");
    const jwks = apiEnv.CHRONORING_AUTH_JWKS ?? "";
    expect(posix.basename(jwks)).toBe("jwks.json");
    // The API mounts the volume dev-auth writes its keys to, at the JWKS file's folder.
    const keysVolume = mounts(devAuth).find((m) => m.target === devEnv.DEV_AUTH_DIR)?.source;
    expect(keysVolume).toBeDefined();
    expect(file.volumes).toHaveProperty(keysVolume!);
    const apiMount = mounts(api).find((m) => m.source === keysVolume);
    expect(apiMount?.target).toBe(posix.dirname(jwks));
    expect(api.depends_on?.["dev-auth"]?.condition).toBe("service_completed_successfully");
  });

  it("mints tokens for the API's issuer and audience", () => {
    expect(devEnv.DEV_AUTH_ISSUER).toBe(apiEnv.CHRONORING_AUTH_ISSUER);
    expect(devEnv.DEV_AUTH_AUDIENCE).toBe(apiEnv.CHRONORING_AUTH_AUDIENCE);
    expect(mounts(devAuth)).toContainEqual({ source: "./dev-auth", target: "/dev-auth" });
    expect(devAuth.entrypoint).toEqual(["node", "/dev-auth/dev-auth.mjs"]);
  });
});

describe("dev-auth.mjs (the development key procedure of deploy/README.md)", () => {
  const dir = mkdtempSync(join(tmpdir(), "dev-auth-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DEV_AUTH_ISSUER: "iss-test", DEV_AUTH_AUDIENCE: "aud-test" };
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [SCRIPT, ...args, "--dir", dir], { env, encoding: "utf8" });

  it("makes a private key only its owner reads, and a JWKS of its public half", () => {
    run("keys");
    expect(statSync(join(dir, "dev-key.jwk")).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(join(dir, "jwks.json"), "utf8"));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("keeps the key when started again, so issued tokens stay valid", () => {
    const before = readFileSync(join(dir, "jwks.json"), "utf8");
    expect(run("keys")).toContain("keeping");
    expect(readFileSync(join(dir, "jwks.json"), "utf8")).toBe(before);
  });

  it("signs a token that the JWKS verifies, with the claims asked for", () => {
    const token = run("token", "--sub", "alice", "--tenant", "acme", "--roles", "admin, viewer");
    const [header = "", payload = "", signature = ""] = token.trim().split(".");
    const jwks = JSON.parse(readFileSync(join(dir, "jwks.json"), "utf8"));
    const { kid, alg } = decode(header);
    expect(alg).toBe("ES256");
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid) as JsonWebKey;
    const key = createPublicKey({ key: jwk, format: "jwk" });
    const signed = Buffer.from(`${header}.${payload}`);
    const sig = Buffer.from(signature, "base64url");
    expect(verify("sha256", signed, { key, dsaEncoding: "ieee-p1363" }, sig)).toBe(true);
    const claims = decode(payload);
    expect(claims).toMatchObject({
      iss: "iss-test",
      aud: "aud-test",
      sub: "alice",
      tenant: "acme",
      roles: ["admin", "viewer"],
    });
    expect(claims.exp - claims.iat).toBe(3600);
    // A token changed after signing does not verify.
    const forged = Buffer.from(`${header}.${payload.slice(0, -2)}AA`);
    expect(verify("sha256", forged, { key, dsaEncoding: "ieee-p1363" }, sig)).toBe(false);
  });

  it("refuses a token without a subject, and an unknown command", () => {
    for (const args of [["token"], ["rotate"]]) {
      const res = spawnSync(process.execPath, [SCRIPT, ...args, "--dir", dir], {
        env,
        encoding: "utf8",
      });
      expect(res.status, args.join(" ")).toBe(2);
      expect(res.stderr).toMatch(/^dev-auth: /);
    }
  });
});
