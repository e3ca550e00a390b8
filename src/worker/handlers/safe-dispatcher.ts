/**
 * The connect-time half of the SSRF protection, shared by the http handler,
 * the webhook handler and the notification sender: an undici Agent whose
 * connector judges the address of every connection it opens before opening
 * it, so that a host name that resolves to an internal address (DNS
 * rebinding included: the check is on the answer actually used) is refused
 * with nothing sent. Because the check sits in the connector, it covers every
 * connection the Agent makes: the first, one after a keep-alive socket
 * closed, and any a redirect would need. Redirects are not followed anyway
 * (`fetchTarget`). The rule itself is core/target-address.ts.
 */

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, buildConnector, type Dispatcher, fetch } from "undici";
import {
  checkAddress,
  compileTargetAllow,
  isHostAllowListed,
  type TargetAllow,
} from "../../core/target-address.js";

/** A connection refused because of where it would go; a later attempt would be refused too. */
export class TargetRefusedError extends Error {
  readonly code = "CHRONORING_TARGET_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "TargetRefusedError";
  }
}

/** The refusal in an error's cause chain (undici's fetch wraps it in "fetch failed"). */
export function targetRefusal(err: unknown): TargetRefusedError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof TargetRefusedError) return current;
    current = current.cause;
  }
  return undefined;
}

function refusal(what: string): TargetRefusedError {
  return new TargetRefusedError(
    `refused to connect to ${what}; CHRONORING_TARGET_ALLOW does not admit it`,
  );
}

/** `dns.lookup`'s callback shape, for one address or (`all`) every one. */
type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
type Lookup = (hostname: string, options: object, callback: LookupCallback) => void;

export interface SafeDispatcherOptions {
  /** CHRONORING_TARGET_ALLOW entries; absent or empty: every internal address is refused. */
  allow?: readonly string[];
  /** The resolver, `dns.lookup` by default (tests pass one that answers what they need). */
  lookup?: Lookup;
}

/** An undici dispatcher that refuses connections to addresses targets may not reach. */
export function createSafeDispatcher(opts: SafeDispatcherOptions = {}): Agent {
  const allow = compileTargetAllow(opts.allow ?? []);
  const resolve = opts.lookup ?? (dnsLookup as unknown as Lookup);
  // net.connect calls `lookup` for a host name only, so that literal
  // addresses are judged below, before the connector is asked.
  const connector = buildConnector({ lookup: checkedLookup(allow, resolve) });
  return new Agent({
    connect(options, callback) {
      const host = options.hostname;
      if (isIP(host) !== 0) {
        const verdict = checkAddress(host, allow);
        if (!verdict.allowed) {
          callback(refusal(`${host}, ${verdict.reason}`), null);
          return;
        }
      }
      connector(options, callback);
    },
  });
}

/** Resolves as `resolve` does, then refuses unless every address it found may be reached. */
function checkedLookup(allow: TargetAllow, resolve: Lookup): Lookup {
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err || isHostAllowListed(hostname, allow)) {
        callback(err, address, family);
        return;
      }
      const found = typeof address === "string" ? [address] : address.map((a) => a.address);
      for (const one of found) {
        const verdict = checkAddress(one, allow);
        if (!verdict.allowed) {
          const why = `${hostname}: it resolves to ${one}, ${verdict.reason}`;
          callback(refusal(why), address, family);
          return;
        }
      }
      callback(null, address, family);
    });
  };
}

let fallback: Agent | undefined;

/** One shared dispatcher with an empty allow-list, for callers that were given none. */
export function defaultSafeDispatcher(): Dispatcher {
  fallback ??= createSafeDispatcher();
  return fallback;
}

export interface TargetRequest {
  method: string;
  headers: Headers;
  body?: string | Uint8Array;
  signal: AbortSignal;
}

/**
 * One request through `dispatcher`, redirects not followed: a 3xx comes back
 * as it is, and `redirectNote` says where it pointed.
 */
export async function fetchTarget(
  dispatcher: Dispatcher,
  url: string,
  request: TargetRequest,
): Promise<Response> {
  const response = await fetch(url, {
    method: request.method,
    headers: [...request.headers],
    body: request.body,
    signal: request.signal,
    redirect: "manual",
    dispatcher,
  });
  // undici's Response is the class Node's global fetch returns, of a newer release.
  return response as unknown as Response;
}

/** For a redirect answer, "redirect to <absolute Location>, not followed"; else undefined. */
export function redirectNote(response: Response, url: string): string | undefined {
  if (response.status < 300 || response.status > 399) return undefined;
  const location = response.headers.get("location");
  if (location === null) return undefined;
  let to = location;
  try {
    to = new URL(location, url).href;
  } catch {
    // shown as sent
  }
  return `redirect to ${to}, not followed`;
}
