import { failedPrecondition } from "./errors.js";
import type { Schedule } from "./job.js";
import type { CalendarStore } from "./ports/calendar-store.js";
import type { FireContext } from "./schedule/index.js";

/**
 * The context to evaluate a schedule's policies in the API: its calendar read
 * from the store, in the job's tenant (calendars are named per tenant). A schedule that names an unknown calendar (or an API built
 * without a calendar store) is FailedPrecondition on `schedule.calendar.name`.
 */
export async function loadFireContext(
  calendars: CalendarStore | undefined,
  tenant: string,
  schedule: Schedule,
  jobId: string | undefined,
): Promise<FireContext> {
  const ctx: FireContext = {};
  if (jobId !== undefined) ctx.jobId = jobId;
  const name = schedule.calendar?.name;
  if (name === undefined) return ctx;
  const calendar = await calendars?.getCalendar(tenant, name);
  if (!calendar) {
    throw failedPrecondition(`schedule.calendar.name: calendar "${name}" does not exist`);
  }
  ctx.calendar = calendar;
  return ctx;
}
