/**
 * A backup folder: one sub-folder per table with numbered pages of items
 * (one DynamoDB-JSON item per line), and `manifest.json` saying what each
 * page holds and its sha256, where an unfinished table's scan resumes, and
 * the backup's horizon and partition count. The manifest is rewritten
 * (atomically) after every page, so an interrupted backup resumes where it
 * stopped and a restore can tell a finished backup from a partial one.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { failedPrecondition } from "../core/errors.js";

export const MANIFEST = "manifest.json";
export const FORMAT = "chronoring-backup/1";

export type Key = Record<string, AttributeValue>;

export interface PageEntry {
  /** Relative to the backup folder: `<table>/<n>.jsonl`. */
  file: string;
  items: number;
  sha256: string;
}

export interface TableEntry {
  /** The table's name in the source (its prefix is the source's). */
  source: string;
  pages: PageEntry[];
  done: boolean;
  /** Where the scan resumes while not done. */
  resumeKey?: Key;
}

export interface Manifest {
  format: typeof FORMAT;
  /** When the backup began, epoch ms (kept across resumes). */
  startedMs: number;
  finishedMs?: number;
  /** Executions scheduled before this are left out. */
  executionsSinceMs: number;
  /** The jobs table's partition count: a restore target must use the same. */
  partitions: number;
  /** By table role (`jobs`, `executions`, ...), in the order they are copied. */
  tables: Record<string, TableEntry>;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  let parsed: Manifest;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (err) {
    throw failedPrecondition(`${path}: not a backup manifest (${String(err)})`);
  }
  if (parsed.format !== FORMAT) {
    throw failedPrecondition(
      `${path}: format ${JSON.stringify(parsed.format)}, this version reads ${FORMAT}`,
    );
  }
  return parsed;
}

export function writeManifest(dir: string, manifest: Manifest): void {
  const path = join(dir, MANIFEST);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Reads a page and checks it against its manifest entry. */
export function readPage(dir: string, page: PageEntry): Key[] {
  const path = join(dir, page.file);
  if (!existsSync(path)) throw failedPrecondition(`${page.file}: missing`);
  const text = readFileSync(path, "utf8");
  if (sha256(text) !== page.sha256) {
    throw failedPrecondition(`${page.file}: checksum does not match the manifest`);
  }
  const items =
    text === ""
      ? []
      : text
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l) as Key);
  if (items.length !== page.items) {
    throw failedPrecondition(
      `${page.file}: ${items.length} items, the manifest says ${page.items}`,
    );
  }
  return items;
}
