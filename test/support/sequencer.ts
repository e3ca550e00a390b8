import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that start first in their project, in this order, whatever else the
 * order would be. Without a results cache (a clean clone, CI) vitest starts the
 * largest files first, and a short file that runs long starts last, with
 * nothing left to run beside it:
 * - bench scale's short version (2.6 kB, 100–115 s, most of it waiting out its
 *   idle and fire windows) started when the other e2e-paired files had used half
 *   their time, and ran its last ~50 s alone;
 * - the timed e2e files are the smallest and longest of theirs: partitions
 *   (1.5 kB, ~66 s), failover (2.1 kB, ~57 s) and backend outages (~47 s) started
 *   after the short ones, and partitions ran its last ~25 s alone. Started
 *   first, the two lanes end within ~10 s of each other (sum ~197 s, the longer
 *   ~104 s). Failover comes third, after backend outages: beside partitions for
 *   its whole minute, on a loaded CI machine, every process kept losing its 2 s
 *   etcd session and a run was sent 33 s late; now they share ~20 s.
 */
export const RUN_FIRST = [
  "test/e2e/scale.test.ts",
  "test/e2e/partitions.test.ts",
  "test/e2e/backend-outages.test.ts",
  "test/e2e/failover.test.ts",
];

/**
 * Vitest's order (by group, by project, then failed and longest first from the
 * cache, or largest first without it), with `first`'s files moved to the front
 * of their project.
 */
export function firstFilesFirst<F>(
  sorted: readonly F[],
  projectOf: (file: F) => string,
  pathOf: (file: F) => string,
  first: readonly string[],
): F[] {
  const projectAt = new Map<string, number>();
  sorted.forEach((f, i) => {
    if (!projectAt.has(projectOf(f))) projectAt.set(projectOf(f), i);
  });
  const rank = (f: F) => {
    const at = first.indexOf(pathOf(f));
    return at === -1 ? first.length : at;
  };
  return sorted
    .map((file, i) => ({ file, i, project: projectAt.get(projectOf(file))!, rank: rank(file) }))
    .sort((a, b) => a.project - b.project || a.rank - b.rank || a.i - b.i)
    .map((e) => e.file);
}

/** `sequence.sequencer` of test/vitest.config.ts. */
export class RunFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    return firstFilesFirst(
      await super.sort(files),
      (f) => f.project.name,
      (f) => relative(root, f.moduleId),
      RUN_FIRST,
    );
  }
}
