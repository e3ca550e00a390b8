/** What CreateJob says about each bad `file` target, and the CHRONORING_FILE_ROOTS parser. */

import { describe, expect, it } from "vitest";
import {
  type FileTarget,
  parseFileRoots,
  relativePathProblem,
  validateFileTarget,
} from "../../../src/core/file-target.js";

const good: FileTarget = {
  type: "file",
  operation: "COPY",
  root: "exports",
  sources: ["incoming/*.csv"],
  destination: "archive",
  overwrite: false,
  minAgeMs: 0,
  timeoutMs: 60_000,
};

function refusal(change: Partial<FileTarget>): string {
  try {
    validateFileTarget({ ...good, ...change }, "target.file");
  } catch (err) {
    return (err as Error).message;
  }
  return "accepted";
}

describe("file targets at create", () => {
  it("accepts each operation with what it needs", () => {
    expect(refusal({})).toBe("accepted");
    expect(refusal({ operation: "MOVE" })).toBe("accepted");
    expect(refusal({ operation: "DELETE", destination: undefined, minAgeMs: 7 * 86_400_000 })).toBe(
      "accepted",
    );
    expect(refusal({ operation: "ARCHIVE", destination: "backups/day.tar.gz" })).toBe("accepted");
    expect(refusal({ operation: "CHECKSUM", destination: undefined })).toBe("accepted");
    expect(refusal({ operation: "CHECKSUM", destination: "SHA256SUMS", overwrite: true })).toBe(
      "accepted",
    );
    expect(refusal({ sources: ["logs/**/*.log", "a.txt", "./b.txt", "x/.hidden"] })).toBe(
      "accepted",
    );
  });

  it.each<[string, Partial<FileTarget>, string]>([
    [
      "a root name with a slash",
      { root: "a/b" },
      "target.file.root: must be 1 to 64 of a-z, 0-9 and -",
    ],
    ["no root", { root: "" }, "target.file.root: must be 1 to 64 of a-z, 0-9 and -"],
    ["no source", { sources: [] }, "target.file.sources: at least one pattern"],
    ["21 sources", { sources: Array(21).fill("a") }, "target.file.sources: at most 20 patterns"],
    [
      "an absolute source",
      { sources: ["ok", "/etc/passwd"] },
      "target.file.sources[1]: must be relative to the root, not absolute",
    ],
    [
      "a .. segment",
      { sources: ["in/../../etc/*"] },
      "target.file.sources[0]: must not contain a .. segment (it would leave the root)",
    ],
    [
      "a home path",
      { sources: ["~/x"] },
      "target.file.sources[0]: must be relative to the root, not absolute",
    ],
    ["a backslash", { sources: ["in\\x"] }, "target.file.sources[0]: contains a backslash (use /)"],
    ["NUL", { sources: ["in\0x"] }, "target.file.sources[0]: contains NUL"],
    ["an empty pattern", { sources: [""] }, "target.file.sources[0]: required"],
    [
      "COPY without destination",
      { destination: undefined },
      "target.file.destination: required for COPY",
    ],
    [
      "MOVE without destination",
      { operation: "MOVE", destination: "" },
      "target.file.destination: required for MOVE",
    ],
    [
      "ARCHIVE into a .zip",
      { operation: "ARCHIVE", destination: "b.zip" },
      "target.file.destination: an archive's name ends in .tar.gz or .tgz",
    ],
    [
      "a destination leaving the root",
      { destination: "../out" },
      "target.file.destination: must not contain a .. segment (it would leave the root)",
    ],
    [
      "an absolute destination",
      { destination: "/tmp" },
      "target.file.destination: must be relative to the root, not absolute",
    ],
    [
      "DELETE with a destination",
      { operation: "DELETE" },
      "target.file.destination: not allowed for DELETE",
    ],
    [
      "DELETE with overwrite",
      { operation: "DELETE", destination: undefined, overwrite: true },
      "target.file.overwrite: not allowed for DELETE",
    ],
    ["a negative min age", { minAgeMs: -1 }, "target.file.min_age: must be 0 to 10 years"],
    [
      "a timeout over an hour",
      { timeoutMs: 3_600_001 },
      "target.file.timeout: must be positive, at most 3600 s",
    ],
  ])("%s: InvalidArgument", (_, change, message) => {
    expect(refusal(change)).toBe(message);
  });

  it("relative paths: dots inside names are fine, a .. segment is not", () => {
    expect(relativePathProblem("a..b/c")).toBeUndefined();
    expect(relativePathProblem("a/..")).toMatch(/\.\. segment/);
    expect(relativePathProblem("C:/x")).toMatch(/absolute/);
  });
});

describe("CHRONORING_FILE_ROOTS", () => {
  it("reads name=/dir pairs", () => {
    expect(parseFileRoots(["exports=/srv/exports", "logs=/var/log/app"])).toEqual({
      exports: "/srv/exports",
      logs: "/var/log/app",
    });
    expect(parseFileRoots([])).toEqual({});
  });

  it.each([
    ["exports", /expected name=\/absolute\/dir/],
    ["Exports=/srv", /expected name=\/absolute\/dir/],
    ["exports=srv", /not an absolute directory/],
  ])("refuses %s", (entry, message) => {
    expect(() => parseFileRoots([entry])).toThrowError(message);
  });

  it("refuses a name given twice", () => {
    expect(() => parseFileRoots(["a=/x", "a=/y"])).toThrowError(/given twice/);
  });
});
