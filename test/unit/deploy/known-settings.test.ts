import { describe, expect, it } from "vitest";
import { unknownSettings } from "./known-settings.js";

describe("the deploy checks' test of setting names", () => {
  it("tells a real setting from a typo, and ignores other variables", () => {
    expect(unknownSettings(["CHRONORING_API_PORT", "CHRONORING_AUTH_MODE"])).toEqual([]);
    expect(unknownSettings(["CHRONORING_API_PROT", "OTHER_VAR"])).toEqual(["CHRONORING_API_PROT"]);
  });
});
