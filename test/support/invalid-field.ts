import { expect } from "vitest";
import { ChronoringError } from "../../src/core/errors.js";

/**
 * The field an invalid_argument thrown by `fn` names; undefined when `fn`
 * accepts its input (throws nothing). Any other error fails the test.
 */
export function invalidField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChronoringError);
    expect((err as ChronoringError).kind).toBe("invalid_argument");
    return (err as ChronoringError).field;
  }
  return undefined;
}
