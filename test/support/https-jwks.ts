import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JwksFetch } from "../../src/auth/jwks-source.js";

export interface HttpsJwksServer {
  /** `https://127.0.0.1:PORT/jwks.json` */
  url: string;
  /** The self-signed certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  certPath: string;
  /** GET requests for the JWKS so far. */
  fetches(): number;
  /** A fetch that trusts this server's certificate (in-process tests). */
  fetch: JwksFetch;
  close(): Promise<void>;
}

/**
 * An https server on 127.0.0.1 serving `jwks()` at /jwks.json, with a
 * self-signed certificate made by openssl for this test (installed by
 * deploy/local/install-backends.sh).
 */
export async function startHttpsJwks(jwks: () => unknown): Promise<HttpsJwksServer> {
  const dir = mkdtempSync(join(tmpdir(), "chronoring-tls-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  const cert = readFileSync(certPath, "utf8");
  let fetches = 0;
  const server = https.createServer({ key: readFileSync(keyPath), cert }, (req, res) => {
    if (req.method === "GET" && req.url === "/jwks.json") {
      fetches++;
      res.writeHead(200, { "content-type": "application/jwk-set+json" });
      res.end(JSON.stringify(jwks()));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;

  const fetch: JwksFetch = (target, init) =>
    new Promise((resolve, reject) => {
      const req = https.get(target, { ca: cert, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 })),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
    });

  return {
    url,
    certPath,
    fetches: () => fetches,
    fetch,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
