import type { IKeyValue, Namespace } from "etcd3";
import type { Logger } from "pino";
import type { Clock } from "../../core/clock.js";
import { failedPrecondition, invalidArgument } from "../../core/errors.js";
import type { Assignment } from "../../core/ports/coordinator.js";
import type { EtcdLeadership } from "./election.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";
import { type RangeWatch, watchRange } from "./watch.js";

export interface AssignmentDeps {
  ns: Namespace;
  logger: Logger;
  afterSnapshot?: (revision: number) => Promise<void>;
  /** The watch's re-read timers run on it. Default the system clock. */
  clock?: Clock;
}

/**
 * Writes the assignment in one transaction that holds only if the leader's
 * election key still exists with the create revision of its term: a deposed
 * leader (key expired, or another leader's key since) cannot overwrite it,
 * however late its write arrives. Returns the publication's epoch: `base`
 * plus its revision.
 */
export async function publishAssignment(
  deps: AssignmentDeps,
  leadership: EtcdLeadership,
  owners: string[],
  since: number[],
  base = 0,
): Promise<number> {
  if (owners.length !== since.length) {
    throw invalidArgument("since", "needs one entry per partition owner");
  }
  if (!since.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw invalidArgument("since", "entries must be revisions (integers >= 0)");
  }
  if (!Number.isSafeInteger(base) || base < 0) {
    throw invalidArgument("base", "must be an epoch (an integer >= 0)");
  }
  if (!leadership.isLeader()) throw failedPrecondition("leadership lost: not the leader");
  const { ns } = deps;
  const res = await etcdCall(() =>
    ns
      .if(leadership.key, "Create", "==", leadership.term)
      .then(
        ns
          .put(keys.assignment)
          .value(JSON.stringify(base > 0 ? { owners, since, base } : { owners, since })),
      )
      .commit(),
  );
  if (!res.succeeded) {
    leadership.end("election key gone when publishing");
    throw failedPrecondition("leadership lost: the election key of this term is gone");
  }
  return base + Number(res.header.revision);
}

export async function readAssignment(deps: AssignmentDeps): Promise<Assignment | undefined> {
  const res = await etcdCall(() => deps.ns.get(keys.assignment).exec());
  const kv = res.kvs[0];
  return kv ? parseAssignment(kv, deps.logger) : undefined;
}

/** Reports the assignment now (if there is one) and after every publication. */
export function watchAssignment(
  deps: AssignmentDeps,
  onChange: (assignment: Assignment) => void,
): Promise<RangeWatch> {
  let lastEpoch = 0;
  return watchRange({
    ns: deps.ns,
    key: keys.assignment,
    prefix: false,
    logger: deps.logger,
    afterSnapshot: deps.afterSnapshot,
    ...(deps.clock ? { clock: deps.clock } : {}),
    onChange: (state) => {
      const kv = state.get(keys.assignment);
      const assignment = kv && parseAssignment(kv, deps.logger);
      if (!assignment || assignment.epoch === lastEpoch) return;
      lastEpoch = assignment.epoch;
      onChange(assignment);
    },
  });
}

/**
 * The epoch is the base plus the key's mod revision; `since` zeros stand for
 * that epoch.
 */
function parseAssignment(kv: IKeyValue, logger: Logger): Assignment | undefined {
  const revision = Number(kv.mod_revision);
  try {
    const data = JSON.parse(kv.value.toString()) as {
      owners?: unknown;
      since?: unknown;
      base?: unknown;
    };
    const { owners, since } = data;
    const base = data.base ?? 0;
    const epoch = (typeof base === "number" ? base : 0) + revision;
    if (
      typeof base === "number" &&
      Number.isSafeInteger(base) &&
      base >= 0 &&
      Array.isArray(owners) &&
      Array.isArray(since) &&
      owners.length === since.length &&
      owners.every((o) => typeof o === "string") &&
      since.every((s) => typeof s === "number")
    ) {
      return {
        epoch,
        owners: owners as string[],
        since: (since as number[]).map((s) => (s === 0 ? epoch : s)),
        ...(base > 0 && { base }),
      };
    }
  } catch {
    // fall through
  }
  logger.error({ revision }, "ignoring malformed assignment");
  return undefined;
}
