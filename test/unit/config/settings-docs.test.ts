import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envName, FIELDS } from "../../../src/config/settings.js";

/** The README's settings table: variable → default cell, in order. */
function readmeSettings(): Map<string, string> {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const rows = new Map<string, string>();
  for (const line of readme.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const variable = /^`(CHRONORING_[A-Z0-9_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (variable) rows.set(variable, cells[3] ?? "");
  }
  return rows;
}

describe("the README's settings table", () => {
  it("lists every setting, and only real settings", () => {
    const documented = [...readmeSettings().keys()].sort();
    const real = FIELDS.map((f) => envName(f.key)).sort();
    expect(documented).toEqual(real);
  });

  it("gives each setting its real default", () => {
    const rows = readmeSettings();
    for (const field of FIELDS) {
      if (field.default === "") continue; // shown as "(none)" or what stands in for it
      expect(rows.get(envName(field.key)), envName(field.key)).toBe(`\`${field.default}\``);
    }
  });
});
