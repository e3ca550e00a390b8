/**
 * chronoring.v1.DeadLetterService: thin handlers over DeadRunCommands.
 */

import type { ServiceImpl } from "@connectrpc/connect";
import type {
  DeadLetterService,
  PurgeDeadRunsRequest,
  RedriveDeadRunsRequest,
} from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import type { DeadRunCommands, DeadRunSelection } from "../core/dead-runs.js";
import { invalidArgument } from "../core/errors.js";
import type { DeadRunQuery } from "../core/ports/retry-store.js";
import { validatePageSize } from "../core/validate-job.js";
import { tenantOf } from "./caller-context.js";
import { executionToProto, pageTokenFromProto, pageTokenToProto } from "./codec.js";

/** `execution_ids`, or `all` (optionally of `job_id`): exactly one. */
function selectionFromProto(req: RedriveDeadRunsRequest | PurgeDeadRunsRequest): DeadRunSelection {
  if (req.all && req.executionIds.length > 0) {
    throw invalidArgument("execution_ids", "give execution_ids or all, not both");
  }
  if (req.jobId !== "" && !req.all) throw invalidArgument("job_id", "only with all");
  if (req.all) return req.jobId ? { all: true, jobId: req.jobId } : { all: true };
  // The ids' rules (required, how many, each an execution id) are core's: validateSelection.
  return { ids: [...req.executionIds] };
}

export function createDeadLetterService(
  commands: DeadRunCommands,
): ServiceImpl<typeof DeadLetterService> {
  return {
    async listDeadRuns(req, ctx) {
      const query: DeadRunQuery = { pageSize: validatePageSize(req.pageSize, "page_size") };
      if (req.jobId !== "") query.jobId = req.jobId;
      const pageToken = pageTokenFromProto(req.pageToken);
      if (pageToken !== undefined) query.pageToken = pageToken;
      const page = await commands.list(tenantOf(ctx), query);
      return {
        executions: page.items.map(executionToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },

    async redriveDeadRuns(req, ctx) {
      const runs = await commands.redrive(tenantOf(ctx), selectionFromProto(req));
      return { executions: runs.map(executionToProto) };
    },

    async purgeDeadRuns(req, ctx) {
      return { purged: await commands.purge(tenantOf(ctx), selectionFromProto(req)) };
    },
  };
}
