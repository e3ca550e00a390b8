import { Priority as PriorityPb } from "../../gen/chronoring/v1/priority_pb.js";
import { invalidArgument } from "../core/errors.js";
import { DEFAULT_PRIORITY, type Priority } from "../core/priority.js";

const FROM_PROTO = new Map<PriorityPb, Priority>([
  [PriorityPb.HIGH, "HIGH"],
  [PriorityPb.MEDIUM, "MEDIUM"],
  [PriorityPb.LOW, "LOW"],
]);

const TO_PROTO: Record<Priority, PriorityPb> = {
  HIGH: PriorityPb.HIGH,
  MEDIUM: PriorityPb.MEDIUM,
  LOW: PriorityPb.LOW,
};

/**
 * UNSPECIFIED → undefined (MEDIUM); a number outside the enum (an open enum
 * on the wire) → invalid_argument naming `field`.
 */
export function priorityFromProto(p: PriorityPb, field = "priority"): Priority | undefined {
  if (p === PriorityPb.UNSPECIFIED) return undefined;
  const priority = FROM_PROTO.get(p);
  if (priority === undefined) {
    throw invalidArgument(field, `unknown priority ${p}; allowed: HIGH (1), MEDIUM (2), LOW (3)`);
  }
  return priority;
}

/** A job without a priority shows MEDIUM, the priority it runs at. */
export function priorityToProto(p: Priority | undefined): PriorityPb {
  return TO_PROTO[p ?? DEFAULT_PRIORITY];
}
