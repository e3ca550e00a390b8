/**
 * chronoring.v1.ClusterService: a read-only view of members, leader,
 * assignment and in-flight runs, for operators.
 */

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import type { ClusterQueries, MemberView } from "../core/cluster-view.js";
import { validatePageSize } from "../core/validate-job.js";
import { tenantOf } from "./caller-context.js";
import { executionToProto, pageTokenFromProto, pageTokenToProto } from "./codec.js";

function memberToProto(m: MemberView) {
  const concurrency = Number(m.info.concurrency);
  return {
    id: m.id,
    role: m.role,
    joinTime: timestampFromMs(m.joinedMs),
    info: m.info,
    partitionsOwned: m.partitionsOwned,
    inFlight: m.inFlight,
    paused: m.paused ?? false,
    concurrency: Number.isSafeInteger(concurrency) && concurrency > 0 ? concurrency : 0,
  };
}

export function createClusterService(queries: ClusterQueries): ServiceImpl<typeof ClusterService> {
  return {
    async getCluster() {
      const view = await queries.view();
      return {
        members: view.members.map(memberToProto),
        leaderId: view.leaderId ?? "",
        assignmentEpoch: BigInt(view.epoch),
        partitions: view.partitions.map((p) => ({
          partition: p.partition,
          nodeId: p.nodeId,
          epoch: BigInt(p.epoch),
        })),
      };
    },

    async listWorkerRuns(req, ctx) {
      const page = await queries.workerRuns(
        tenantOf(ctx),
        req.workerId,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        executions: page.items.map(executionToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },

    async pauseWorker(req) {
      return { worker: memberToProto(await queries.pauseWorker(req.workerId)) };
    },

    async resumeWorker(req) {
      const worker = await queries.resumeWorker(req.workerId);
      return worker ? { worker: memberToProto(worker) } : {};
    },
  };
}
