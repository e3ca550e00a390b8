/**
 * The fields UpdateJob may change, as `update_mask` paths: the server checks
 * a mask against them (job-service.ts), and the CLI builds one from them
 * (src/cli/job-write.ts). A module of its own so the CLI need not load the
 * service.
 */
export const UPDATABLE_PATHS = [
  "name",
  "schedule",
  "target",
  "tags",
  "owner",
  "limits",
  "retry_policy",
  "priority",
  "notifications",
  "pause_after_failures",
  "remaining_runs",
] as const;
