/**
 * The query parameters the design documents use that are not field names of
 * the request: `GET /jobs?user_id=` (the owner) and `status=pending` (ACTIVE
 * jobs whose first scheduled run has not been queued yet: `never_run`). Keyed
 * by request message, so they apply to every binding of the method.
 */

import type { DescMessage } from "@bufbuild/protobuf";

type Alias = (
  values: readonly string[],
) => [field: string, values: readonly string[]][] | undefined;

const ALIASES: Readonly<Record<string, Readonly<Record<string, Alias>>>> = {
  "chronoring.v1.ListJobsRequest": {
    user_id: (values) => [["owner", values]],
    userId: (values) => [["owner", values]],
    status: (values) =>
      values.length === 1 && values[0]?.toLowerCase() === "pending"
        ? [
            ["status", ["ACTIVE"]],
            ["never_run", ["true"]],
          ]
        : undefined,
  },
};

/** The fields a query parameter stands for, or undefined when it is a field name itself. */
export function queryAlias(
  message: DescMessage,
  key: string,
  values: readonly string[],
): [string, readonly string[]][] | undefined {
  return ALIASES[message.typeName]?.[key]?.(values);
}
