import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";
import { isChronoringError } from "../../../src/core/errors.js";
import type { JobTarget } from "../../../src/core/job.js";
import {
  addressOf,
  checkAddress,
  checkUrlHost,
  compileTargetAllow,
  isHostAllowListed,
} from "../../../src/core/target-address.js";
import {
  validateNotificationAddresses,
  validateTargetAddress,
} from "../../../src/core/validate-target-address.js";

const LOOPBACK = "a loopback address (127.0.0.0/8)";

/** [address as written, the reason it is refused]: every form the rule must catch. */
const REFUSED: Array<[string, string]> = [
  // IPv4 ranges
  ["127.0.0.1", LOOPBACK],
  ["127.255.255.254", LOOPBACK],
  ["10.0.0.1", "a private address (10.0.0.0/8)"],
  ["172.16.0.1", "a private address (172.16.0.0/12)"],
  ["172.31.255.255", "a private address (172.16.0.0/12)"],
  ["192.168.1.1", "a private address (192.168.0.0/16)"],
  ["169.254.169.254", "a link-local address (169.254.0.0/16)"],
  ["100.64.0.1", "a carrier-grade NAT address (100.64.0.0/10)"],
  ["100.127.255.254", "a carrier-grade NAT address (100.64.0.0/10)"],
  ["0.0.0.0", "an unspecified address (0.0.0.0/8)"],
  ["0.1.2.3", "an unspecified address (0.0.0.0/8)"],
  ["224.0.0.1", "a multicast address (224.0.0.0/4)"],
  ["239.255.255.250", "a multicast address (224.0.0.0/4)"],
  ["255.255.255.255", "a broadcast address (255.255.255.255/32)"],
  ["240.0.0.1", "a reserved address (240.0.0.0/4)"],
  ["192.0.0.8", "a reserved address (192.0.0.0/24)"],
  ["192.0.2.1", "a reserved address (192.0.2.0/24)"],
  ["198.18.0.1", "a reserved address (198.18.0.0/15)"],
  ["198.51.100.7", "a reserved address (198.51.100.0/24)"],
  ["203.0.113.9", "a reserved address (203.0.113.0/24)"],
  ["192.175.48.1", "an AS112 address (192.175.48.0/24)"],
  ["192.52.193.1", "an AMT relay address (192.52.193.0/24)"],
  // IPv4 spellings a resolver takes: decimal, octal, hex, short, trailing dot
  ["2130706433", LOOPBACK],
  ["0177.0.0.1", LOOPBACK],
  ["017700000001", LOOPBACK],
  ["0x7f.1", LOOPBACK],
  ["0x7f.0.0.1", LOOPBACK],
  ["0x7f000001", LOOPBACK],
  ["127.1", LOOPBACK],
  ["127.0.1", LOOPBACK],
  ["127.0.0.1.", LOOPBACK],
  ["012.0.0.1", "a private address (10.0.0.0/8)"],
  ["0xa.1", "a private address (10.0.0.0/8)"],
  ["2852039166", "a link-local address (169.254.0.0/16)"],
  ["0xa9.0xfe.0xa9.0xfe", "a link-local address (169.254.0.0/16)"],
  ["0251.0376.0251.0376", "a link-local address (169.254.0.0/16)"],
  // IPv6 ranges
  ["::1", "a loopback address (::1/128)"],
  ["[::1]", "a loopback address (::1/128)"],
  ["::", "an unspecified address (::/128)"],
  ["fe80::1", "a link-local address (fe80::/10)"],
  ["fe80::1%eth0", "a link-local address (fe80::/10)"],
  ["fc00::1", "a unique-local address (fc00::/7)"],
  ["fd12:3456::1", "a unique-local address (fc00::/7)"],
  ["ff02::1", "a multicast address (ff00::/8)"],
  ["fec0::1", "a site-local address (fec0::/10)"],
  ["100::1", "a discard-only address (100::/64)"],
  ["2001:db8::1", "a reserved address (2001:db8::/32)"],
  ["2001:2::1", "a benchmarking address (2001:2::/48)"],
  ["64:ff9b:1::1", "a local-use NAT64 address (64:ff9b:1::/48)"],
  ["4000::1", "an address outside global unicast (2000::/3)"],
  // IPv6 forms carrying an internal IPv4 address
  ["::ffff:127.0.0.1", `an IPv4-mapped address (::ffff:0:0/96) of 127.0.0.1, ${LOOPBACK}`],
  ["::ffff:7f00:1", `an IPv4-mapped address (::ffff:0:0/96) of 127.0.0.1, ${LOOPBACK}`],
  [
    "0:0:0:0:0:ffff:a9fe:a9fe",
    "an IPv4-mapped address (::ffff:0:0/96) of 169.254.169.254, a link-local address (169.254.0.0/16)",
  ],
  [
    "::ffff:10.1.2.3",
    "an IPv4-mapped address (::ffff:0:0/96) of 10.1.2.3, a private address (10.0.0.0/8)",
  ],
  ["::ffff:0:7f00:1", `an IPv4-translated address (::ffff:0:0:0/96) of 127.0.0.1, ${LOOPBACK}`],
  ["::7f00:1", `an IPv4-compatible address (::/96) of 127.0.0.1, ${LOOPBACK}`],
  ["::a00:1", "an IPv4-compatible address (::/96) of 10.0.0.1, a private address (10.0.0.0/8)"],
  ["64:ff9b::127.0.0.1", `a NAT64 address (64:ff9b::/96) of 127.0.0.1, ${LOOPBACK}`],
  [
    "64:ff9b::a9fe:a9fe",
    "a NAT64 address (64:ff9b::/96) of 169.254.169.254, a link-local address (169.254.0.0/16)",
  ],
  ["2002:7f00:1::1", `a 6to4 address (2002::/16) of 127.0.0.1, ${LOOPBACK}`],
  [
    "2002:c0a8:101::",
    "a 6to4 address (2002::/16) of 192.168.1.1, a private address (192.168.0.0/16)",
  ],
  // Teredo: client 127.0.0.1 (inverted in the last 32 bits) behind a public server
  [
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    `a Teredo address (2001::/32) of 127.0.0.1, ${LOOPBACK}`,
  ],
  // Teredo: a public client behind a private server
  [
    "2001:0:a00:1::a247:27dd",
    "a Teredo address (2001::/32) of 10.0.0.1, a private address (10.0.0.0/8)",
  ],
];

/** URLs as a job would carry them; WHATWG URL normalises many spellings, the rule sees them all. */
const REFUSED_URLS: Array<[string, string]> = [
  ["http://169.254.169.254/latest/meta-data", "a link-local address (169.254.0.0/16)"],
  ["https://10.0.0.5:8443/hook", "a private address (10.0.0.0/8)"],
  ["http://user:pass@192.168.0.10/", "a private address (192.168.0.0/16)"],
  ["http://100.100.100.200/", "a carrier-grade NAT address (100.64.0.0/10)"],
  ["http://2130706433/", LOOPBACK],
  ["http://0177.0.0.1/", LOOPBACK],
  ["http://0x7f.1/", LOOPBACK],
  ["http://0x7F000001:8080/", LOOPBACK],
  ["http://127.1/", LOOPBACK],
  ["http://127.0.0.1./", LOOPBACK],
  ["http://%31%32%37.0.0.1/", LOOPBACK],
  ["http://0/", "an unspecified address (0.0.0.0/8)"],
  ["http://[::1]:9000/", "a loopback address (::1/128)"],
  ["http://[::]/", "an unspecified address (::/128)"],
  ["http://[fe80::1]/", "a link-local address (fe80::/10)"],
  ["http://[fd00::1]/", "a unique-local address (fc00::/7)"],
  [
    "http://[::ffff:127.0.0.1]/",
    `an IPv4-mapped address (::ffff:0:0/96) of 127.0.0.1, ${LOOPBACK}`,
  ],
  ["http://[::127.0.0.1]/", `an IPv4-compatible address (::/96) of 127.0.0.1, ${LOOPBACK}`],
  ["http://[64:ff9b::7f00:1]/", `a NAT64 address (64:ff9b::/96) of 127.0.0.1, ${LOOPBACK}`],
  ["http://[2002:7f00:1::]/", `a 6to4 address (2002::/16) of 127.0.0.1, ${LOOPBACK}`],
  [
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    `a Teredo address (2001::/32) of 127.0.0.1, ${LOOPBACK}`,
  ],
];

const PUBLIC = [
  "93.184.216.34",
  "8.8.8.8",
  "1.1.1.1",
  "100.128.0.1",
  "172.32.0.1",
  "2606:4700::1",
  "2001:4860:4860::8888",
  "::ffff:93.184.216.34",
  "64:ff9b::5db8:d822",
  "2002:5db8:d822::1",
  // Teredo with a public server (65.54.227.120) and a public client (93.184.216.34)
  "2001:0:4136:e378:8000:63bf:a247:27dd",
];

describe("checkAddress: refused", () => {
  it.each(REFUSED)("%s is %s", (address, reason) => {
    expect(checkAddress(address)).toEqual({ allowed: false, reason });
  });

  it("reads every IPv4 spelling as the address a resolver would", () => {
    for (const spelling of ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001"]) {
      expect(addressOf(spelling)?.toString()).toBe("127.0.0.1");
    }
    expect(addressOf("example.com")).toBeUndefined();
  });

  it("refuses what is not an address", () => {
    expect(checkAddress("example.com")).toEqual({
      allowed: false,
      reason: '"example.com" is not an IP address',
    });
  });
});

describe("checkUrlHost: literal addresses in URLs", () => {
  it.each(REFUSED_URLS)("%s is %s", (url, reason) => {
    expect(checkUrlHost(url)).toEqual({ allowed: false, reason });
  });

  it.each(PUBLIC)("public %s is allowed", (address) => {
    expect(checkAddress(address)).toEqual({ allowed: true });
    const host = address.includes(":") ? `[${address}]` : address;
    expect(checkUrlHost(`https://${host}/hook`)).toEqual({ allowed: true });
  });

  it("passes host names: they are judged by what they resolve to, at connect time", () => {
    for (const url of ["https://example.com/", "http://localhost:8080/", "http://metadata/"]) {
      expect(checkUrlHost(url)).toEqual({ allowed: true });
    }
  });
});

describe("the allow-list (CHRONORING_TARGET_ALLOW)", () => {
  const allow = compileTargetAllow([
    "127.0.0.2/32",
    "10.0.0.0/8",
    " fd00::/8 ",
    "::1",
    "Billing.Internal",
    "*.corp.example",
  ]);

  it("admits addresses inside its CIDRs, in any spelling", () => {
    for (const url of [
      "http://127.0.0.2:8080/",
      "http://2130706434/",
      "http://10.9.8.7/",
      "http://[fd00::5]/",
      "http://[::1]/",
      "http://[::ffff:10.1.2.3]/",
      "http://[64:ff9b::a00:1]/",
    ]) {
      expect(checkUrlHost(url, allow), url).toEqual({ allowed: true });
    }
  });

  it("still refuses the rest of a range it admits a part of", () => {
    expect(checkUrlHost("http://127.0.0.3/", allow)).toEqual({ allowed: false, reason: LOOPBACK });
    expect(checkAddress("169.254.169.254", allow).allowed).toBe(false);
  });

  it("names host names exactly, or below a *. suffix", () => {
    expect(isHostAllowListed("billing.internal", allow)).toBe(true);
    expect(isHostAllowListed("BILLING.internal.", allow)).toBe(true);
    expect(isHostAllowListed("x.billing.internal", allow)).toBe(false);
    expect(isHostAllowListed("a.corp.example", allow)).toBe(true);
    expect(isHostAllowListed("a.b.corp.example", allow)).toBe(true);
    expect(isHostAllowListed("corp.example", allow)).toBe(false);
    expect(isHostAllowListed("evilcorp.example", allow)).toBe(false);
  });

  it("refuses entries it cannot read, naming them", () => {
    expect(() => compileTargetAllow(["10.0.0.0/33"])).toThrow('"10.0.0.0/33" is not a valid CIDR');
    expect(() => compileTargetAllow(["0x7f.1"])).toThrow("four decimal numbers");
    expect(() => compileTargetAllow(["not a host"])).toThrow(
      '"not a host" is not a CIDR, an IP address or a host name',
    );
    expect(() => compileTargetAllow(["*."])).toThrow("is not a CIDR");
  });

  it("is read once, at start, as CHRONORING_TARGET_ALLOW or --target-allow", () => {
    const off = { CHRONORING_AUTH_MODE: "off" };
    expect(loadConfig(off).targetAllow).toEqual([]);
    expect(loadConfig({ ...off, CHRONORING_TARGET_ALLOW: "127.0.0.0/8, ::1" }).targetAllow).toEqual(
      ["127.0.0.0/8", "::1"],
    );
    expect(loadConfig(off, ["--target-allow", "*.corp.example"]).targetAllow).toEqual([
      "*.corp.example",
    ]);
    expect(() => loadConfig({ ...off, CHRONORING_TARGET_ALLOW: "10.0.0.0/99" })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...off, CHRONORING_TARGET_ALLOW: "10.0.0.0/99" })).toThrow(
      /^CHRONORING_TARGET_ALLOW: "10.0.0.0\/99" is not a valid CIDR$/,
    );
  });
});

describe("validation at create and update", () => {
  const none = compileTargetAllow([]);
  const http = (url: string): JobTarget => ({
    type: "http",
    method: "GET",
    url,
    headers: {},
    timeoutMs: 1000,
  });

  function refusal(fn: () => void): { field?: string; message: string } {
    try {
      fn();
    } catch (err) {
      if (isChronoringError(err, "invalid_argument")) return err;
      throw err;
    }
    throw new Error("not refused");
  }

  it("names the field and says why", () => {
    const err = refusal(() => validateTargetAddress(http("http://10.1.1.1/"), "target", none));
    expect(err.field).toBe("target.http.url");
    expect(err.message).toBe(
      "target.http.url: points at a private address (10.0.0.0/8), which targets may not reach",
    );
    const hook: JobTarget = { type: "webhook", url: "http://[::1]/", headers: {}, timeoutMs: 1000 };
    expect(refusal(() => validateTargetAddress(hook, "target", none)).field).toBe(
      "target.webhook.url",
    );
    const notify = refusal(() =>
      validateNotificationAddresses(
        [
          { events: ["failed"], kind: "email", to: ["a@example.com"], subjectPrefix: "" },
          { events: ["failed"], kind: "webhook", url: "http://169.254.169.254/", headers: {} },
        ],
        "notifications",
        none,
      ),
    );
    expect(notify.field).toBe("notifications.targets[1].webhook.url");
  });

  it("lets host names, public addresses and other target types through", () => {
    expect(() => validateTargetAddress(http("https://example.com/"), "target", none)).not.toThrow();
    expect(() =>
      validateTargetAddress(http("http://93.184.216.34/"), "target", none),
    ).not.toThrow();
    const noop: JobTarget = { type: "noop", sleepMs: 0 };
    expect(() => validateTargetAddress(noop, "target", none)).not.toThrow();
  });
});
