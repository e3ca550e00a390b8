/**
 * `chronoring cluster`: members, the leader, which node owns which
 * partitions, the workers' in-flight runs (`status`), and pausing or
 * resuming a worker (ClusterService). A standalone server (no etcd) answers
 * FailedPrecondition: exit 6.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Command } from "commander";
import type {
  ClusterMember,
  GetClusterResponse,
  ListWorkerRunsResponse,
} from "../../gen/chronoring/v1/cluster_service_pb.js";
import { run } from "./context.js";
import { emit, fields, jsonOf, table } from "./output.js";
import { relativeText, utcText } from "./time-text.js";
import { executionColumns } from "./views.js";

/** `0-3,8,10-11`: a sorted list of partitions as ranges. */
export function rangesText(partitions: number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

function memberColumns(c: GetClusterResponse, nowMs: number) {
  const owned = new Map<string, number[]>();
  for (const p of c.partitions) owned.set(p.nodeId, [...(owned.get(p.nodeId) ?? []), p.partition]);
  const worker = (m: ClusterMember, text: string) => (m.role === "worker" ? text : "-");
  return [
    {
      header: "MEMBER",
      // A process with both roles is two members of one id: the scheduler leads and owns.
      value: (m: ClusterMember) =>
        m.id === c.leaderId && m.role === "scheduler" ? `${m.id} (leader)` : m.id,
    },
    { header: "ROLE", value: (m: ClusterMember) => m.role },
    {
      header: "PARTITIONS",
      value: (m: ClusterMember) => {
        if (m.role !== "scheduler") return "-";
        const mine = owned.get(m.id);
        return mine ? `${mine.length}: ${rangesText(mine)}` : "0";
      },
      flex: true,
    },
    {
      header: "IN FLIGHT",
      value: (m: ClusterMember) => worker(m, `${m.inFlight}/${m.concurrency}`),
    },
    { header: "PAUSED", value: (m: ClusterMember) => worker(m, m.paused ? "yes" : "no") },
    {
      header: "JOINED",
      value: (m: ClusterMember) =>
        m.joinTime ? relativeText(timestampMs(m.joinTime), nowMs) : "-",
      optional: true,
    },
  ];
}

function memberFields(m: ClusterMember, nowMs: number): Array<[string, string]> {
  return [
    ["id", m.id],
    ["role", m.role],
    ["paused", m.paused ? "yes" : "no"],
    ["in flight", `${m.inFlight} of ${m.concurrency}`],
    [
      "joined",
      m.joinTime
        ? `${utcText(timestampMs(m.joinTime))} (${relativeText(timestampMs(m.joinTime), nowMs)})`
        : "-",
    ],
  ];
}

function statusCommand(): Command {
  return new Command("status")
    .description("members, the leader, partitions per node, workers and their in-flight runs")
    .action(
      run(async (ctx) => {
        const api = ctx.api().cluster;
        const cluster = await api.getCluster({});
        const busy = cluster.members.filter((m) => m.role === "worker" && m.inFlight > 0);
        const runs = new Map<string, ListWorkerRunsResponse>();
        for (const m of busy)
          runs.set(m.id, await api.listWorkerRuns({ workerId: m.id, pageSize: 500 }));
        const json = {
          cluster: jsonOf(cluster),
          workerRuns: Object.fromEntries([...runs].map(([id, r]) => [id, jsonOf(r)])),
        };
        emit(ctx.o, json, () => {
          const head = fields([
            ["leader", cluster.leaderId || "(election under way)"],
            ["assignment epoch", String(cluster.assignmentEpoch)],
            ["partitions", String(cluster.partitions.length)],
          ]);
          const members = table(memberColumns(cluster, ctx.nowMs), cluster.members);
          const inFlight = [...runs].map(
            ([id, r]) =>
              `runs on ${id}:\n${table(executionColumns(ctx.nowMs).slice(0, 3), r.executions)}`,
          );
          return [head, members, ...inFlight].join("\n\n");
        });
      }),
    );
}

function workerCommand(name: "pause-worker" | "resume-worker", description: string): Command {
  return new Command(name)
    .description(description)
    .argument("<id>", "worker id (as cluster status shows it)")
    .action(
      run(async (ctx) => {
        const workerId = ctx.args[0] as string;
        const api = ctx.api().cluster;
        const res =
          name === "pause-worker"
            ? await api.pauseWorker({ workerId })
            : await api.resumeWorker({ workerId });
        emit(ctx.o, res, () =>
          res.worker
            ? fields(memberFields(res.worker, ctx.nowMs))
            : `${workerId}: not live; its pause is cleared for when it returns`,
        );
      }),
    );
}

export function clusterCommand(): Command {
  return new Command("cluster")
    .description("the cluster: status, pause-worker, resume-worker")
    .addCommand(statusCommand())
    .addCommand(
      workerCommand("pause-worker", "stop a worker taking runs (the ones it holds finish)"),
    )
    .addCommand(workerCommand("resume-worker", "let a paused worker take runs again"));
}
