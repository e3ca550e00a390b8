/**
 * chronoring.v1.TenantService: thin handlers, proto ↔ TenantCommands.
 */

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type Tenant,
  TenantQuotasSchema,
  TenantSchema,
  type TenantService,
  TenantUsageSchema,
} from "../../gen/chronoring/v1/tenant_service_pb.js";
import { invalidArgument } from "../core/errors.js";
import type { TenantCommands, TenantView } from "../core/tenant-commands.js";
import {
  QUOTA_FIELDS,
  QUOTA_NAMES,
  type QuotaChange,
  type QuotaName,
} from "../core/tenant-quota.js";
import { validatePageSize } from "../core/validate-job.js";
import { callerOf } from "./caller-context.js";

function tenantToProto(v: TenantView): Tenant {
  return create(TenantSchema, {
    tenant: v.tenant,
    quotas: create(TenantQuotasSchema, {
      maxActiveSchedules: BigInt(v.quotas.maxActiveSchedules),
      maxFiresPerMinute: BigInt(v.quotas.maxFiresPerMinute),
      maxConcurrentRuns: BigInt(v.quotas.maxConcurrentRuns),
    }),
    customQuotas: v.custom.map((name) => QUOTA_FIELDS[name]),
    usage: create(TenantUsageSchema, { activeSchedules: BigInt(v.activeSchedules) }),
    ...(v.updatedMs !== undefined ? { updateTime: timestampFromMs(v.updatedMs) } : {}),
  });
}

/** The quota a mask path names; InvalidArgument naming the mask otherwise. */
function quotaOf(path: string, field: string): QuotaName {
  const name = QUOTA_NAMES.find((n) => QUOTA_FIELDS[n] === path);
  if (!name) {
    const allowed = QUOTA_NAMES.map((n) => QUOTA_FIELDS[n]).join(", ");
    throw invalidArgument(field, `unknown path "${path}"; allowed: ${allowed}`);
  }
  return name;
}

export function createTenantService(commands: TenantCommands): ServiceImpl<typeof TenantService> {
  return {
    async getTenant(req, ctx) {
      return { tenant: tenantToProto(await commands.get(callerOf(ctx), req.tenant)) };
    },

    async listTenants(req, _ctx) {
      const page = await commands.list(
        validatePageSize(req.pageSize),
        req.pageToken === "" ? undefined : req.pageToken,
      );
      return { tenants: page.items.map(tenantToProto), nextPageToken: page.nextToken ?? "" };
    },

    async updateTenantQuota(req, ctx) {
      const change: QuotaChange = {};
      const set = req.updateMask?.paths ?? [];
      const reset = req.resetMask?.paths ?? [];
      if (set.length === 0 && reset.length === 0) {
        throw invalidArgument("update_mask", "required: name the quotas to set (or reset_mask)");
      }
      for (const path of set) {
        const name = quotaOf(path, "update_mask");
        // Out-of-range values are refused by core, naming `quotas.<field>`.
        change[name] = Number(req.quotas?.[name] ?? 0n);
      }
      for (const path of reset) {
        const name = quotaOf(path, "reset_mask");
        if (change[name] !== undefined) {
          throw invalidArgument("reset_mask", `"${path}" is in update_mask too`);
        }
        change[name] = null;
      }
      return {
        tenant: tenantToProto(await commands.updateQuota(callerOf(ctx), req.tenant, change)),
      };
    },
  };
}
