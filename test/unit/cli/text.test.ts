/**
 * The CLI's pure pieces: times shown in UTC and relative, flag values parsed
 * (durations, instants read as UTC), tables fitted to a narrow terminal, and
 * each error class mapped to its exit code.
 */

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { CommanderError, InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { rangesText } from "../../../src/cli/cluster-command.js";
import { resolveTarget } from "../../../src/cli/connection.js";
import { EXIT, exitCodeOf, InputError, UsageError } from "../../../src/cli/exit-codes.js";
import { parseDurationMs, parseTimeMs } from "../../../src/cli/flag-values.js";
import { table } from "../../../src/cli/output.js";
import { fitWidths } from "../../../src/cli/table-fit.js";
import { relativeText, spanText, utcText, whenText } from "../../../src/cli/time-text.js";

const NOW = Date.UTC(2026, 11, 4, 8, 0, 0);

describe("times", () => {
  it("shows spans in at most two units, and instants in UTC with how far from now", () => {
    expect(spanText(0)).toBe("0s");
    expect(spanText(192_000)).toBe("3m12s");
    expect(spanText(7_500_000)).toBe("2h5m");
    expect(spanText(4 * 86_400_000 + 30_000)).toBe("4d");
    expect(relativeText(NOW + 180_000, NOW)).toBe("in 3m");
    expect(relativeText(NOW - 12_000, NOW)).toBe("12s ago");
    expect(relativeText(NOW + 400, NOW)).toBe("now");
    expect(utcText(NOW)).toBe("2026-12-04 08:00:00");
    expect(whenText(timestampFromMs(NOW + 60_000), NOW)).toBe("2026-12-04 08:01:00 (in 1m)");
    expect(whenText(undefined, NOW)).toBe("-");
  });

  it("parses durations and instants, reading an instant without an offset as UTC", () => {
    expect(parseDurationMs("1h30m")).toBe(5_400_000);
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(() => parseDurationMs("5 minutes")).toThrow(InvalidArgumentError);
    expect(parseTimeMs("2026-12-04T08:00:00Z")).toBe(NOW);
    expect(parseTimeMs("2026-12-04 08:00")).toBe(NOW);
    expect(parseTimeMs("2026-12-04T09:00:00+01:00")).toBe(NOW);
    expect(parseTimeMs("+10m", NOW)).toBe(NOW + 600_000);
    expect(parseTimeMs("-1h", NOW)).toBe(NOW - 3_600_000);
    expect(() => parseTimeMs("tomorrow")).toThrow(InvalidArgumentError);
  });
});

describe("tables", () => {
  const columns = [
    { header: "ID", value: (r: string[]) => r[0]! },
    { header: "NAME", value: (r: string[]) => r[1]!, flex: true },
    { header: "OWNER", value: (r: string[]) => r[2]!, optional: true },
  ];
  const rows = [["job_1", "a rather long name for a job", "team-a"]];

  it("aligns columns without borders when they fit", () => {
    expect(table(columns, rows, 200)).toBe(
      [
        "ID     NAME                          OWNER",
        "job_1  a rather long name for a job  team-a",
      ].join("\n"),
    );
  });

  it("drops optional columns first, then wraps free text, never cutting an id", () => {
    const narrow = table(columns, rows, 24).split("\n");
    expect(narrow[0]).toMatch(/^ID\s+NAME$/);
    expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(24);
    expect(narrow.join(" ")).toMatch(/job_1/);
    // Nothing more can give: the id column keeps its width.
    const fit = fitWidths([30, 20], [{}, { flex: true }], 10, 2);
    expect(fit.widths).toEqual([30, 12]);
    expect(fit.wrapped).toBe(true);
  });

  it("shows partitions as ranges", () => {
    expect(rangesText([3, 0, 1, 2, 8, 10, 11])).toBe("0-3,8,10-11");
    expect(rangesText([])).toBe("");
  });
});

describe("exit codes", () => {
  it("maps each error class to its code", () => {
    const connect = (code: Code) => exitCodeOf(new ConnectError("x", code));
    expect(connect(Code.InvalidArgument)).toBe(EXIT.invalidArgument);
    expect(connect(Code.NotFound)).toBe(4);
    expect(connect(Code.PermissionDenied)).toBe(5);
    expect(connect(Code.Unauthenticated)).toBe(5);
    expect(connect(Code.AlreadyExists)).toBe(6);
    expect(connect(Code.Aborted)).toBe(6);
    expect(connect(Code.FailedPrecondition)).toBe(6);
    expect(connect(Code.Unavailable)).toBe(7);
    expect(connect(Code.DeadlineExceeded)).toBe(7);
    expect(connect(Code.ResourceExhausted)).toBe(8);
    expect(connect(Code.Internal)).toBe(1);
    expect(exitCodeOf(new CommanderError(1, "commander.unknownOption", "x"))).toBe(2);
    expect(exitCodeOf(new CommanderError(0, "commander.helpDisplayed", "x"))).toBe(0);
    expect(exitCodeOf(new UsageError("x"))).toBe(2);
    expect(exitCodeOf(new InputError("x"))).toBe(3);
    expect(exitCodeOf(new Error("x"))).toBe(1);
  });
});

describe("where the CLI calls", () => {
  it("takes --url and --token over the environment, and the environment over the default", () => {
    const env = { CHRONORING_URL: "https://c.example.com/", CHRONORING_TOKEN: " t-env\n" };
    expect(resolveTarget({}, env, "/")).toEqual({ url: "https://c.example.com", token: "t-env" });
    expect(resolveTarget({ url: "http://h:1", token: "t-flag" }, env, "/")).toEqual({
      url: "http://h:1",
      token: "t-flag",
    });
    expect(resolveTarget({}, {}, "/")).toEqual({ url: "http://127.0.0.1:7070", token: undefined });
  });
});
