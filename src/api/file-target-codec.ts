/** Proto ↔ domain of the `file` job target (see src/core/file-target.ts). */

import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  FileOperation as FileOperationPb,
  type FileTarget as FileTargetPb,
} from "../../gen/chronoring/v1/job_pb.js";
import { invalidArgument } from "../core/errors.js";
import {
  FILE_TIMEOUT_DEFAULT_MS,
  type FileOperation,
  type FileTarget,
} from "../core/file-target.js";
import { msFromDuration } from "./duration.js";

const OPERATIONS: Readonly<Record<number, FileOperation | undefined>> = {
  [FileOperationPb.COPY]: "COPY",
  [FileOperationPb.MOVE]: "MOVE",
  [FileOperationPb.DELETE]: "DELETE",
  [FileOperationPb.ARCHIVE]: "ARCHIVE",
  [FileOperationPb.CHECKSUM]: "CHECKSUM",
};

/** `field` is the target's path in the request (`target.file`). */
export function fileTargetFromProto(f: FileTargetPb, field: string): FileTarget {
  const operation = OPERATIONS[f.operation];
  if (operation === undefined) {
    throw invalidArgument(
      `${field}.operation`,
      f.operation === FileOperationPb.UNSPECIFIED
        ? "required: COPY, MOVE, DELETE, ARCHIVE or CHECKSUM"
        : `unknown value ${f.operation}`,
    );
  }
  return {
    type: "file",
    operation,
    root: f.root,
    sources: [...f.sources],
    ...(f.destination !== "" && { destination: f.destination }),
    overwrite: f.overwrite,
    minAgeMs: f.minAge ? msFromDuration(f.minAge, `${field}.min_age`) : 0,
    timeoutMs: f.timeout ? msFromDuration(f.timeout, `${field}.timeout`) : FILE_TIMEOUT_DEFAULT_MS,
  };
}

export function fileTargetToProto(t: FileTarget): Omit<FileTargetPb, "$typeName"> {
  return {
    operation: FileOperationPb[t.operation],
    root: t.root,
    sources: [...t.sources],
    destination: t.destination ?? "",
    overwrite: t.overwrite,
    ...(t.minAgeMs > 0 && { minAge: durationFromMs(t.minAgeMs) }),
    timeout: durationFromMs(t.timeoutMs),
  };
}
