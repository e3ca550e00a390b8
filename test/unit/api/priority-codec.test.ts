import { describe, expect, it } from "vitest";
import { Priority } from "../../../gen/chronoring/v1/priority_pb.js";
import { priorityFromProto, priorityToProto } from "../../../src/api/priority-codec.js";
import { ChronoringError } from "../../../src/core/errors.js";

describe("priority codec", () => {
  it("maps the enum both ways; UNSPECIFIED and an absent priority are MEDIUM", () => {
    expect(priorityFromProto(Priority.UNSPECIFIED)).toBeUndefined();
    expect(priorityFromProto(Priority.HIGH)).toBe("HIGH");
    expect(priorityFromProto(Priority.MEDIUM)).toBe("MEDIUM");
    expect(priorityFromProto(Priority.LOW)).toBe("LOW");
    expect(priorityToProto(undefined)).toBe(Priority.MEDIUM);
    expect(priorityToProto("HIGH")).toBe(Priority.HIGH);
    expect(priorityToProto("LOW")).toBe(Priority.LOW);
  });

  it("rejects a number outside the enum, naming the field", () => {
    let caught: unknown;
    try {
      priorityFromProto(4 as Priority, "job.priority");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ChronoringError);
    expect((caught as ChronoringError).kind).toBe("invalid_argument");
    expect((caught as ChronoringError).field).toBe("job.priority");
  });
});
