/**
 * chronoring.v1.BackfillService: thin handlers over BackfillCommands
 * (`core/backfill/`), each on the caller's tenant.
 */

import type { ServiceImpl } from "@connectrpc/connect";
import type { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import type { BackfillCommands } from "../core/backfill/index.js";
import { backfillRequestFromProto, backfillToProto, selectedRunToProto } from "./backfill-codec.js";
import { callerOf, tenantOf } from "./caller-context.js";
import { pageTokenFromProto, pageTokenToProto } from "./codec.js";

export function createBackfillService(
  commands: BackfillCommands,
): ServiceImpl<typeof BackfillService> {
  return {
    async backfillJob(req, ctx) {
      const out = await commands.start(callerOf(ctx), backfillRequestFromProto(req));
      return {
        ...(out.backfill ? { backfill: backfillToProto(out.backfill) } : {}),
        runs: out.runs.map((r) => selectedRunToProto(req.jobId, r)),
        selected: out.selected,
        nominalTimes: out.nominalTotal,
      };
    },

    async getBackfill(req, ctx) {
      return { backfill: backfillToProto(await commands.get(tenantOf(ctx), req.id)) };
    },

    async listBackfills(req, ctx) {
      const page = await commands.list(
        tenantOf(ctx),
        req.jobId,
        req.pageSize,
        pageTokenFromProto(req.pageToken),
      );
      return {
        backfills: page.items.map(backfillToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },

    async cancelBackfill(req, ctx) {
      return { backfill: backfillToProto(await commands.cancel(callerOf(ctx), req.id)) };
    },
  };
}
