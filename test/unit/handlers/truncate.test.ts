import { describe, expect, it } from "vitest";
import {
  createOutputCapture,
  formatSummary,
  truncationMarker,
  utf8Prefix,
} from "../../../src/worker/handlers/truncate.js";

const enc = new TextEncoder();
const bytesOf = (s: string) => enc.encode(s).byteLength;
const whole = (text: string) => {
  const bytes = enc.encode(text);
  return { bytes, totalBytes: bytes.byteLength, totalKnown: true };
};

describe("createOutputCapture", () => {
  it("keeps the first `limit` bytes across chunks and counts every byte written", () => {
    const capture = createOutputCapture(5);
    capture.write(enc.encode("abc"));
    expect(capture.overflowed).toBe(false);
    capture.write(enc.encode("defg"));
    capture.write(enc.encode("hij"));
    expect(new TextDecoder().decode(capture.bytes())).toBe("abcde");
    expect(capture.totalBytes).toBe(10);
    expect(capture.overflowed).toBe(true);
  });

  it("does not report overflow when exactly `limit` bytes were written", () => {
    const capture = createOutputCapture(3);
    capture.write(enc.encode("abc"));
    expect(capture.overflowed).toBe(false);
  });

  it("rejects a limit that is not a positive integer", () => {
    expect(() => createOutputCapture(0)).toThrow(RangeError);
    expect(() => createOutputCapture(1.5)).toThrow(RangeError);
  });
});

describe("utf8Prefix", () => {
  it("backs off to the start of a multi-byte character instead of splitting it", () => {
    const bytes = enc.encode("aé€"); // 1 + 2 + 3 bytes
    expect(utf8Prefix(bytes, 6)).toHaveLength(6);
    expect(utf8Prefix(bytes, 5)).toHaveLength(3);
    expect(utf8Prefix(bytes, 4)).toHaveLength(3);
    expect(utf8Prefix(bytes, 2)).toHaveLength(1);
  });
});

describe("formatSummary", () => {
  it("is just the head when there is no output", () => {
    expect(formatSummary("exit 0", whole(""), 4096)).toBe("exit 0");
  });

  it("puts output that fits after the head, unmarked", () => {
    expect(formatSummary("HTTP 200", whole("hello\n"), 4096)).toBe("HTTP 200\nhello\n");
  });

  it("cuts output so the whole summary fits maxBytes and counts every dropped byte in the marker", () => {
    const text = "x".repeat(1000);
    const summary = formatSummary("exit 1", whole(text), 100);
    expect(bytesOf(summary)).toBeLessThanOrEqual(100);
    const shown = summary.slice("exit 1\n".length, summary.indexOf("…"));
    expect(shown).toMatch(/^x+$/);
    expect(summary.endsWith(truncationMarker(1000 - shown.length))).toBe(true);
  });

  it("counts bytes the capture dropped before formatting", () => {
    const capture = createOutputCapture(50);
    capture.write(enc.encode("y".repeat(500)));
    const summary = formatSummary(
      "exit 0",
      { bytes: capture.bytes(), totalBytes: capture.totalBytes, totalKnown: true },
      4096,
    );
    expect(summary).toBe(`exit 0\n${"y".repeat(50)}${truncationMarker(450)}`);
  });

  it("never splits a multi-byte character when cutting", () => {
    const summary = formatSummary("HTTP 200", whole("€".repeat(100)), 40);
    expect(bytesOf(summary)).toBeLessThanOrEqual(40);
    expect(summary).not.toContain("\uFFFD");
    const shown = summary.slice("HTTP 200\n".length, summary.indexOf("…"));
    expect(summary.endsWith(truncationMarker(300 - bytesOf(shown)))).toBe(true);
  });

  it("stays within maxBytes for invalid UTF-8, whose replacement characters are wider", () => {
    const bytes = new Uint8Array(300).fill(0xff);
    const summary = formatSummary("exit 0", { bytes, totalBytes: 300, totalKnown: true }, 120);
    expect(bytesOf(summary)).toBeLessThanOrEqual(120);
    expect(summary).toContain("…[truncated");
  });

  it("says 'at least' when the total is only a lower bound", () => {
    const summary = formatSummary(
      "HTTP 200",
      { bytes: enc.encode("abc"), totalBytes: 10, totalKnown: false },
      4096,
    );
    expect(summary).toBe("HTTP 200\nabc…[truncated at least 7 bytes]");
  });

  it("stays within a maxBytes too small for head and marker", () => {
    const summary = formatSummary("killed by SIGTERM", whole("z".repeat(100)), 16);
    expect(bytesOf(summary)).toBeLessThanOrEqual(16);
    expect(summary.startsWith("killed by")).toBe(true);
  });
});
