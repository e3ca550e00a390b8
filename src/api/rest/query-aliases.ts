/**
 * The query parameters the design documents use that are not field names of
 * the request: `GET /jobs?user_id=` (the owner) and `status=pending` (ACTIVE
 * jobs whose first scheduled run has not been queued yet: `never_run`). Keyed
 * by request message, so they apply to every binding of the method.
 */

import type { DescMessage } from "@bufbuild/protobuf";

type Alias = {
  /** What it stands for, for the OpenAPI document. */
  about: string;
  map(values: readonly string[]): [field: string, values: readonly string[]][] | undefined;
};

const owner: Alias = { about: "the design's name for owner", map: (values) => [["owner", values]] };

const ALIASES: Readonly<Record<string, Readonly<Record<string, Alias>>>> = {
  "chronoring.v1.ListJobsRequest": {
    user_id: owner,
    userId: owner,
    status: {
      about: "also `pending`",
      map: (values) =>
        values.length === 1 && values[0]?.toLowerCase() === "pending"
          ? [
              ["status", ["ACTIVE"]],
              ["never_run", ["true"]],
            ]
          : undefined,
    },
  },
};

/** The fields a query parameter stands for, or undefined when it is a field name itself. */
export function queryAlias(
  message: DescMessage,
  key: string,
  values: readonly string[],
): [string, readonly string[]][] | undefined {
  return ALIASES[message.typeName]?.[key]?.map(values);
}

/** The parameters that are no field of the request, with what each stands for. */
export function queryAliasNames(message: DescMessage): [name: string, about: string][] {
  return Object.entries(ALIASES[message.typeName] ?? {})
    .filter(([name]) => !message.fields.some((f) => f.name === name || f.jsonName === name))
    .map(([name, alias]) => [name, alias.about]);
}
