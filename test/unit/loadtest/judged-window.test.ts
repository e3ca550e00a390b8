/**
 * Where the fault scenarios judge their window of every-second jobs from: a
 * run due before its job was stored is not one, so a window that the creates
 * ran into is judged from the first whole second a second after the last.
 */
import { describe, expect, it } from "vitest";
import { judgedFrom } from "../../../loadtest/harness/schedule.js";

const START = Date.UTC(2030, 0, 1, 0, 0, 10);

describe("judgedFrom", () => {
  it("keeps the window's start when every job was stored a second before it", () => {
    const lines: string[] = [];
    expect(judgedFrom(START, (l) => lines.push(l), START - 1000)).toBe(START);
    expect(judgedFrom(START, (l) => lines.push(l), START - 5000)).toBe(START);
    expect(lines).toEqual([]);
  });

  it("moves it to the first whole second a second after the last create, and says so", () => {
    const lines: string[] = [];
    expect(judgedFrom(START, (l) => lines.push(l), START - 999)).toBe(START + 1000);
    expect(judgedFrom(START, (l) => lines.push(l), START + 1500)).toBe(START + 3000);
    expect(lines).toEqual([
      "warning: creating the jobs ran into the window; it is judged from 1 s later",
      "warning: creating the jobs ran into the window; it is judged from 3 s later",
    ]);
  });
});
