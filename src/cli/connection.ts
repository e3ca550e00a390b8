/**
 * Where the CLI calls and with which token: `--url` / CHRONORING_URL
 * (default the dev stack's), `--token` / CHRONORING_TOKEN, else the dev
 * stack's admin token file when there is one (said on stderr, so that nobody
 * acts as admin unawares). Clients are the generated ones over gRPC.
 */

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InvalidArgumentError } from "commander";
import { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { bearerInterceptor } from "../auth/bearer.js";
import { note } from "./output.js";

export const DEFAULT_URL = "http://127.0.0.1:7070";
/** Written by `npm run dev` (deploy/local/dev-auth.ts), relative to the working directory. */
export const DEV_TOKEN_FILE = join(".data", "auth", "admin.token");
/** A call that gets no answer within this long fails with DeadlineExceeded (exit 7). */
const CALL_TIMEOUT_MS = 60_000;

/** The global options every command that calls the API reads (`optsWithGlobals()`). */
export interface ConnectionOptions {
  url?: string;
  token?: string;
  /** An admin acting on another tenant (`chronoring-tenant`). */
  as?: string;
}

/** `--url`'s parser: an absolute http(s) URL. */
export function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError("an http:// or https:// URL, such as http://127.0.0.1:7070");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("an http:// or https:// URL, such as http://127.0.0.1:7070");
  }
  return text.replace(/\/+$/, "");
}

export interface Target {
  url: string;
  token: string | undefined;
}

/** The server's URL: `--url`, else CHRONORING_URL, else the dev stack's. */
export function urlOf(o: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string {
  return o.url ?? (env.CHRONORING_URL ? baseUrl(env.CHRONORING_URL) : DEFAULT_URL);
}

/** The URL and token from flags, then the environment, then the dev stack's token file. */
export function resolveTarget(
  o: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Target {
  const url = urlOf(o, env);
  const given = o.token ?? env.CHRONORING_TOKEN;
  if (given !== undefined && given !== "") return { url, token: given.trim() };
  const devFile = resolve(cwd, DEV_TOKEN_FILE);
  if (existsSync(devFile)) {
    note(`chronoring: no CHRONORING_TOKEN or --token: using the dev stack's ${DEV_TOKEN_FILE}`);
    return { url, token: readFileSync(devFile, "utf8").trim() };
  }
  return { url, token: undefined };
}

/** The generated clients of every service, over one gRPC transport. */
export interface Api {
  url: string;
  jobs: Client<typeof JobService>;
  dead: Client<typeof DeadLetterService>;
  calendars: Client<typeof CalendarService>;
  workflows: Client<typeof WorkflowService>;
  cluster: Client<typeof ClusterService>;
  backfills: Client<typeof BackfillService>;
}

export function connect(o: ConnectionOptions): Api {
  const { url, token } = resolveTarget(o);
  const interceptors =
    token === undefined ? [] : [bearerInterceptor(token, o.as ? { actAs: o.as } : {})];
  const transport = createGrpcTransport({
    baseUrl: url,
    interceptors,
    defaultTimeoutMs: CALL_TIMEOUT_MS,
  });
  const client = <S extends DescService>(service: S): Client<S> =>
    createClient(service, transport as Transport);
  return {
    url,
    jobs: client(JobService),
    dead: client(DeadLetterService),
    calendars: client(CalendarService),
    workflows: client(WorkflowService),
    cluster: client(ClusterService),
    backfills: client(BackfillService),
  };
}
