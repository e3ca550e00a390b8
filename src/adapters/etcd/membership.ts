import type { Namespace } from "etcd3";
import type { Logger } from "pino";
import type { Clock } from "../../core/clock.js";
import { failedPrecondition, invalidArgument } from "../../core/errors.js";
import type { Member, MemberRole } from "../../core/ports/coordinator.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";
import type { EtcdSession } from "./session.js";
import { type RangeState, type RangeWatch, watchRange } from "./watch.js";

export interface MembershipDeps {
  ns: Namespace;
  logger: Logger;
  afterSnapshot?: (revision: number) => Promise<void>;
  /** The watch's re-read timers run on it. Default the system clock. */
  clock?: Clock;
}

const ROLES: readonly MemberRole[] = ["scheduler", "worker"];

/** Puts the member's key on the session's lease: it vanishes when the session does. */
export async function registerMember(
  deps: MembershipDeps,
  session: EtcdSession,
  member: Member,
): Promise<void> {
  if (!ROLES.includes(member.role)) throw invalidArgument("member.role", "unknown role");
  if (member.id === "") throw invalidArgument("member.id", "must not be empty");
  if (!session.isLive()) throw failedPrecondition("etcd session is not live");
  await etcdCall(() =>
    deps.ns
      .put(keys.member(member.role, member.id))
      .value(JSON.stringify(member))
      .lease(session.leaseId)
      .exec(),
  );
}

export async function listMembers(deps: MembershipDeps, role: MemberRole): Promise<Member[]> {
  const res = await etcdCall(() => deps.ns.getAll().prefix(keys.memberPrefix(role)).exec());
  return toMembers(
    res.kvs.map((kv) => kv.value),
    deps.logger,
  );
}

/**
 * Reports the role's members now and after every change. Identical lists
 * (e.g. after a re-read that found nothing new) are reported once.
 */
export function watchMembers(
  deps: MembershipDeps,
  role: MemberRole,
  onChange: (members: Member[]) => void,
): Promise<RangeWatch> {
  let last: string | undefined;
  return watchRange({
    ns: deps.ns,
    key: keys.memberPrefix(role),
    prefix: true,
    logger: deps.logger,
    afterSnapshot: deps.afterSnapshot,
    ...(deps.clock ? { clock: deps.clock } : {}),
    onChange: (state: RangeState) => {
      const members = toMembers(
        [...state.values()].map((kv) => kv.value),
        deps.logger,
      );
      const text = JSON.stringify(members);
      if (text === last) return;
      last = text;
      onChange(members);
    },
  });
}

function toMembers(values: Buffer[], logger: Logger): Member[] {
  const members: Member[] = [];
  for (const value of values) {
    const member = parseMember(value);
    if (member) members.push(member);
    else logger.warn({ value: value.toString().slice(0, 200) }, "ignoring malformed member key");
  }
  return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function parseMember(value: Buffer): Member | undefined {
  let data: unknown;
  try {
    data = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (typeof m.id !== "string" || !ROLES.includes(m.role as MemberRole)) return undefined;
  if (typeof m.joinedMs !== "number") return undefined;
  const info: Record<string, string> = {};
  if (typeof m.info === "object" && m.info !== null) {
    for (const [k, v] of Object.entries(m.info)) if (typeof v === "string") info[k] = v;
  }
  return { id: m.id, role: m.role as MemberRole, joinedMs: m.joinedMs, info };
}
