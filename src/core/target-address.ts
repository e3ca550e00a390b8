/**
 * Which network addresses an `http` or `webhook` job, or a notification
 * webhook, may call: the rule behind Chronoring's SSRF protection. Pure; the
 * API applies it to literal addresses at create/update time and the worker's
 * dispatcher to every resolved address at connect time (see docs/security.md).
 *
 * An address is allowed when it is ordinary public unicast, or when the
 * operator's allow-list (CHRONORING_TARGET_ALLOW: CIDRs and host names)
 * admits it. Everything ipaddr.js classifies as special (loopback, private,
 * link-local, CGNAT, unspecified, multicast, broadcast, reserved, ...) is
 * refused, and an IPv6 address that carries an IPv4 address (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4, Teredo) is judged by that IPv4 address.
 */

import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** A compiled allow-list: see `compileTargetAllow`. */
export interface TargetAllow {
  readonly cidrs: ReadonlyArray<readonly [Address, number]>;
  /** Exact host names, lower case, without a trailing dot. */
  readonly hosts: ReadonlySet<string>;
  /** From `*.example.com` entries: `.example.com`. */
  readonly suffixes: readonly string[];
}

const ALLOWED: AddressVerdict = { allowed: true };

/** Host name labels as URLs carry them (underscores included: container service names have them). */
const HOST_NAME =
  /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** An empty allow-list: every internal address is refused. */
export const NO_TARGET_ALLOW: TargetAllow = { cidrs: [], hosts: new Set(), suffixes: [] };

/**
 * Compiles allow-list entries: CIDRs (`10.1.0.0/16`, `fd00::/8`), single
 * addresses (`127.0.0.1`, `::1`), exact host names (`billing.internal`) and
 * suffixes (`*.corp.example.com`, which admits any name below it but not the
 * name itself). Throws an Error naming the first entry it cannot read.
 */
export function compileTargetAllow(entries: readonly string[]): TargetAllow {
  const cidrs: Array<readonly [Address, number]> = [];
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    const cidr = parseAllowCidr(entry);
    if (cidr) {
      cidrs.push(cidr);
      continue;
    }
    const name = hostName(entry);
    const wildcard = name.startsWith("*.");
    const bare = wildcard ? name.slice(2) : name;
    if (!HOST_NAME.test(bare) || bare.length > 253) {
      throw new Error(`"${entry}" is not a CIDR, an IP address or a host name (*.suffix allowed)`);
    }
    if (wildcard) suffixes.push(`.${bare}`);
    else hosts.add(bare);
  }
  return { cidrs, hosts, suffixes };
}

function parseAllowCidr(entry: string): readonly [Address, number] | undefined {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) {
    // Only dotted decimal in the setting: `0x7f.1` would be a puzzle to read.
    if (ipaddr.IPv4.isValid(address)) {
      throw new Error(`"${entry}": write IPv4 addresses as four decimal numbers`);
    }
    return undefined;
  }
  if (slash < 0) {
    const parsed = ipaddr.parse(address);
    return [parsed, parsed.kind() === "ipv4" ? 32 : 128];
  }
  if (!ipaddr.isValidCIDR(entry)) throw new Error(`"${entry}" is not a valid CIDR`);
  return ipaddr.parseCIDR(entry);
}

/** Lower case, without brackets or one trailing dot (`Example.COM.` is `example.com`). */
function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/** Whether the allow-list names this host (exactly, or below a `*.` suffix). */
export function isHostAllowListed(host: string, allow: TargetAllow): boolean {
  const h = hostName(host);
  if (allow.hosts.has(h)) return true;
  return allow.suffixes.some((s) => h.endsWith(s) && h.length > s.length);
}

/**
 * The IP address a host spells, in any form a resolver would take: dotted,
 * decimal (`2130706433`), octal (`0177.0.0.1`), hex (`0x7f.1`), short
 * (`127.1`), bracketed IPv6; undefined for a host name.
 */
export function addressOf(host: string): Address | undefined {
  const h = hostName(host);
  const zone = h.indexOf("%");
  const bare = zone < 0 ? h : h.slice(0, zone);
  if (!ipaddr.isValid(bare)) return undefined;
  return ipaddr.parse(bare);
}

/** Judges one IP address (any spelling `addressOf` reads). A non-address is refused. */
export function checkAddress(
  address: string,
  allow: TargetAllow = NO_TARGET_ALLOW,
): AddressVerdict {
  const parsed = addressOf(address);
  if (!parsed) return { allowed: false, reason: `"${address}" is not an IP address` };
  return judge(parsed, allow);
}

/**
 * Judges a URL's host before anything is resolved: an allow-listed host name
 * or an allowed literal address passes, a refused literal address does not,
 * and any other host name passes here (it is judged by what it resolves to,
 * at connect time). A URL that does not parse is not this rule's business.
 */
export function checkUrlHost(url: string, allow: TargetAllow = NO_TARGET_ALLOW): AddressVerdict {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return ALLOWED;
  }
  if (isHostAllowListed(host, allow)) return ALLOWED;
  const parsed = addressOf(host);
  return parsed ? judge(parsed, allow) : ALLOWED;
}

function listed(address: Address, allow: TargetAllow): boolean {
  return allow.cidrs.some(
    ([net, bits]) => net.kind() === address.kind() && address.match(net, bits),
  );
}

function judge(address: Address, allow: TargetAllow): AddressVerdict {
  if (listed(address, allow)) return ALLOWED;
  if (address.kind() === "ipv4") return judgeIPv4(address as ipaddr.IPv4);
  const v6 = address as ipaddr.IPv6;
  const range: string = v6.range();
  if (range === "unspecified" || range === "loopback") return refused(v6, range);
  const carried = embeddedIPv4(v6, range);
  if (carried) {
    if (listed(carried.v4, allow)) return ALLOWED;
    const inner = judgeIPv4(carried.v4);
    if (inner.allowed) return inner;
    return { allowed: false, reason: `${carried.form} of ${carried.v4}, ${inner.reason}` };
  }
  if (range !== "unicast") return refused(v6, range);
  // Whatever ipaddr.js does not name but IANA has not made global unicast.
  if (!v6.match(GLOBAL_UNICAST)) {
    return { allowed: false, reason: "an address outside global unicast (2000::/3)" };
  }
  return ALLOWED;
}

function judgeIPv4(v4: ipaddr.IPv4): AddressVerdict {
  const range: string = v4.range();
  return range === "unicast" ? ALLOWED : refused(v4, range);
}

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** The IPv4 address an IPv6 address carries, and in which form, when it carries one. */
function embeddedIPv4(
  v6: ipaddr.IPv6,
  range: string,
): { form: string; v4: ipaddr.IPv4 } | undefined {
  const p = v6.parts;
  const low32 = () => v4From(p[6]!, p[7]!);
  switch (range) {
    case "ipv4Mapped":
      return { form: "an IPv4-mapped address (::ffff:0:0/96)", v4: low32() };
    case "rfc6145":
      return { form: "an IPv4-translated address (::ffff:0:0:0/96)", v4: low32() };
    case "rfc6052":
      // 64:ff9b:1::/48 (local-use NAT64) embeds at a prefix length the operator chose.
      return v6.match(NAT64_WELL_KNOWN)
        ? { form: "a NAT64 address (64:ff9b::/96)", v4: low32() }
        : undefined;
    case "6to4":
      return { form: "a 6to4 address (2002::/16)", v4: v4From(p[1]!, p[2]!) };
    case "teredo": {
      // The client is the last 32 bits inverted; the server sits in bits 32-63.
      const client = v4From(p[6]! ^ 0xffff, p[7]! ^ 0xffff);
      const server = v4From(p[2]!, p[3]!);
      const internal = judgeIPv4(server).allowed ? client : server;
      return { form: "a Teredo address (2001::/32)", v4: internal };
    }
    default:
      return range === "unicast" && v6.match(IPV4_COMPATIBLE)
        ? { form: "an IPv4-compatible address (::/96)", v4: low32() }
        : undefined;
  }
}

function v4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

const LABELS: Record<string, string> = {
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT address",
  private: "a private address",
  reserved: "a reserved address",
  benchmarking: "a benchmarking address",
  as112: "an AS112 address",
  as112v6: "an AS112 address",
  amt: "an AMT relay address",
  uniqueLocal: "a unique-local address",
  deprecatedSiteLocal: "a site-local address",
  discard: "a discard-only address",
  rfc6052: "a local-use NAT64 address",
  deprecatedOrchid: "an ORCHID address",
  orchid2: "an ORCHID address",
  droneRemoteIdProtocolEntityTags: "a DRIP entity tag",
  segmentRouting: "a segment routing address",
};

/** "a private address (10.0.0.0/8)": the range's name and the block the address is in. */
function refused(address: Address, range: string): AddressVerdict {
  const label = LABELS[range] ?? `a special-purpose address (${range})`;
  const block = matchingBlock(address, range);
  return { allowed: false, reason: block ? `${label} (${block})` : label };
}

type Block = [Address, number];

/**
 * The CIDR of ipaddr.js's range table that holds the address. The table is
 * read from the class (not a copy here), so that the block named is always the
 * one the classification used.
 */
function matchingBlock(address: Address, range: string): string | undefined {
  const table = (address as unknown as { SpecialRanges?: Record<string, Block | Block[]> })
    .SpecialRanges;
  const entry = table?.[range];
  if (!entry) return undefined;
  const blocks: Block[] = Array.isArray(entry[0]) ? (entry as Block[]) : [entry as Block];
  const hit = blocks.find(([net, bits]) => address.match(net, bits));
  return hit ? `${hit[0].toString()}/${hit[1]}` : undefined;
}
