import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  type ExecutionWait as ExecutionWaitPb,
  ExecutionWaitSchema,
  WaitReason as WaitReasonPb,
} from "../../gen/chronoring/v1/execution_pb.js";
import type { ExecutionWait, WaitReason } from "../core/execution.js";

const REASON_TO_PROTO: Record<WaitReason, WaitReasonPb> = {
  TENANT_CONCURRENCY: WaitReasonPb.TENANT_CONCURRENCY,
  TENANT_RATE: WaitReasonPb.TENANT_RATE,
  JOB_LIMITS: WaitReasonPb.JOB_LIMITS,
};

/** Why a run waited before its start (`Execution.wait`). */
export function waitToProto(wait: ExecutionWait): ExecutionWaitPb {
  return create(ExecutionWaitSchema, {
    reason: REASON_TO_PROTO[wait.reason],
    waited: durationFromMs(wait.waitedMs),
    resends: wait.resends,
  });
}
