/**
 * Bounded capture of a run's output and the summary built from it. Shared by
 * the http handler (response body) and the script handler (stdout + stderr),
 * so that every summary the worker records obeys one size rule.
 */

/** Default cap, in UTF-8 bytes, on a recorded summary. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4096;

/** Keeps the first `limit` bytes written to it and counts everything written. */
export interface OutputCapture {
  write(chunk: Uint8Array): void;
  /** True once more than `limit` bytes have been written: further bytes are only counted. */
  readonly overflowed: boolean;
  /** Every byte written, kept or not. */
  readonly totalBytes: number;
  /** The kept bytes (at most `limit`). */
  bytes(): Uint8Array;
}

export function createOutputCapture(limit: number): OutputCapture {
  assertByteLimit(limit, "limit");
  const kept = new Uint8Array(limit);
  let keptBytes = 0;
  let totalBytes = 0;
  return {
    write(chunk) {
      totalBytes += chunk.byteLength;
      const room = limit - keptBytes;
      if (room <= 0) return;
      const part = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
      kept.set(part, keptBytes);
      keptBytes += part.byteLength;
    },
    get overflowed() {
      return totalBytes > limit;
    },
    get totalBytes() {
      return totalBytes;
    },
    bytes() {
      return kept.subarray(0, keptBytes);
    },
  };
}

/** Output to put in a summary: the first bytes, and how many there were in all. */
export interface CapturedOutput {
  bytes: Uint8Array;
  totalBytes: number;
  /**
   * False when reading stopped early and `totalBytes` is only a lower bound
   * (an HTTP body without a usable Content-Length): the marker then says "at least".
   */
  totalKnown: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Truncation marker appended to a summary whose output was cut. */
export function truncationMarker(droppedBytes: number, exact = true): string {
  return exact
    ? `…[truncated ${droppedBytes} bytes]`
    : `…[truncated at least ${droppedBytes} bytes]`;
}

/**
 * The longest prefix of `bytes` no longer than `max` that does not end inside
 * a UTF-8 sequence (for valid UTF-8; invalid input is cut at most 3 bytes early).
 */
export function utf8Prefix(bytes: Uint8Array, max: number): Uint8Array {
  if (max >= bytes.byteLength) return bytes;
  let end = Math.max(0, max);
  // A continuation byte (10xxxxxx) at `end` means the character before it is incomplete.
  for (let back = 0; back < 3 && end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80; back++) end--;
  return bytes.subarray(0, end);
}

/**
 * `head`, then a newline and the output as UTF-8 text, then a truncation
 * marker if the output was cut. The whole result is at most `maxBytes` UTF-8
 * bytes: the head and marker are paid for out of the output's share, and the
 * marker counts every output byte not shown.
 */
export function formatSummary(head: string, output: CapturedOutput, maxBytes: number): string {
  assertByteLimit(maxBytes, "maxBytes");
  if (output.totalBytes === 0) return clampText(head, maxBytes);
  const prefix = `${head}\n`;
  const fits = output.totalKnown && output.bytes.byteLength === output.totalBytes;
  if (fits) {
    const text = decoder.decode(output.bytes);
    const whole = prefix + text;
    if (byteLength(whole) <= maxBytes) return whole;
  }
  // Reserve room for the longest marker this output can need (nothing shown).
  const worstMarker = truncationMarker(output.totalBytes, output.totalKnown);
  const budget = maxBytes - byteLength(prefix) - byteLength(worstMarker);
  if (budget <= 0) {
    return clampText(`${head} ${truncationMarker(output.totalBytes, output.totalKnown)}`, maxBytes);
  }
  // Invalid UTF-8 decodes to U+FFFD (3 bytes each), so shrink until the text fits.
  let shown = utf8Prefix(output.bytes, budget);
  let text = decoder.decode(shown);
  for (let excess = byteLength(text) - budget; excess > 0; excess = byteLength(text) - budget) {
    shown = utf8Prefix(output.bytes, shown.byteLength - excess);
    text = decoder.decode(shown);
  }
  return `${prefix}${text}${truncationMarker(output.totalBytes - shown.byteLength, output.totalKnown)}`;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function clampText(text: string, maxBytes: number): string {
  const buf = new Uint8Array(maxBytes);
  const { read } = encoder.encodeInto(text, buf);
  return read >= text.length ? text : text.slice(0, read);
}

/** Throws for a byte limit that is not a positive safe integer (a configuration bug). */
export function assertByteLimit(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}
