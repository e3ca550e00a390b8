/**
 * chronoring.v1.ClusterService: a read-only view of members, leader,
 * assignment and in-flight runs, for operators.
 */

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import type { ClusterQueries } from "../core/cluster-view.js";
import { validatePageSize } from "../core/validate-job.js";
import { executionToProto, pageTokenFromProto, pageTokenToProto } from "./codec.js";

export function createClusterService(queries: ClusterQueries): ServiceImpl<typeof ClusterService> {
  return {
    async getCluster() {
      const view = await queries.view();
      return {
        members: view.members.map((m) => ({
          id: m.id,
          role: m.role,
          joinTime: timestampFromMs(m.joinedMs),
          info: m.info,
          partitionsOwned: m.partitionsOwned,
          inFlight: m.inFlight,
        })),
        leaderId: view.leaderId ?? "",
        assignmentEpoch: BigInt(view.epoch),
        partitions: view.partitions.map((p) => ({
          partition: p.partition,
          nodeId: p.nodeId,
          epoch: BigInt(p.epoch),
        })),
      };
    },

    async listWorkerRuns(req) {
      const page = await queries.workerRuns(
        req.workerId,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        executions: page.items.map(executionToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
  };
}
