/** The `file` target's flags of `jobs create` / `jobs update` (see job-flags.ts). */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Option } from "commander";
import {
  FileOperationSchema,
  type FileTarget,
  FileTargetSchema,
} from "../../gen/chronoring/v1/job_pb.js";
import { enumChoices, enumValue, parseDurationMs } from "./flag-values.js";

export interface FileFlags {
  fileOp?: number;
  fileRoot?: string;
  fileSource?: string[];
  fileDest?: string;
  fileOverwrite?: boolean;
  minAge?: number;
}

/** The detail flags (all but `--file-op`, which makes the target). */
export const FILE_DETAIL_FLAGS: Array<keyof FileFlags> = [
  "fileRoot",
  "fileSource",
  "fileDest",
  "fileOverwrite",
  "minAge",
];

export function fileOptions(): Option[] {
  return [
    new Option(
      "--file-op <operation>",
      `file target: ${enumChoices(FileOperationSchema).join("|")}`,
    ).argParser(enumValue(FileOperationSchema)),
    new Option("--file-root <name>", "file: the worker's root (CHRONORING_FILE_ROOTS name)"),
    new Option("--file-source <glob>", "file: a pattern under the root (repeat)").argParser(
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    ),
    new Option("--file-dest <path>", "file: destination directory, archive or checksum file"),
    new Option("--file-overwrite", "file: replace existing destination files"),
    new Option("--min-age <duration>", "file: only files modified this long ago").argParser(
      parseDurationMs,
    ),
  ];
}

export function newFileTarget(operation: number): FileTarget {
  return create(FileTargetSchema, { operation });
}

/** Applies the detail flags onto a file target in place. */
export function applyFileFlags(t: FileTarget, f: FileFlags, timeoutMs?: number): void {
  if (f.fileRoot !== undefined) t.root = f.fileRoot;
  if (f.fileSource !== undefined) t.sources = f.fileSource;
  if (f.fileDest !== undefined) t.destination = f.fileDest;
  if (f.fileOverwrite !== undefined) t.overwrite = f.fileOverwrite;
  if (f.minAge !== undefined) t.minAge = durationFromMs(f.minAge);
  if (timeoutMs !== undefined) t.timeout = durationFromMs(timeoutMs);
}
