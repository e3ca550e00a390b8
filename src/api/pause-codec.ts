import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type JobPause, JobPauseSchema } from "../../gen/chronoring/v1/job_pb.js";
import type { PauseRecord } from "../core/pause.js";

/** One pause of a job (`Job.pause`, `Job.pause_history`, `Fire.pause`). */
export function pauseToProto(pause: PauseRecord): JobPause {
  return create(JobPauseSchema, {
    pauseTime: timestampFromMs(pause.pausedMs),
    pausedBy: pause.by,
    note: pause.note ?? "",
    ...(pause.resumedMs !== undefined ? { resumeTime: timestampFromMs(pause.resumedMs) } : {}),
    resumedBy: pause.resumedBy ?? "",
    resumeNote: pause.resumeNote ?? "",
  });
}
