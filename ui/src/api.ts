/**
 * The UI's only way to the server: the generated Connect clients over
 * Connect-Web, same origin. Every call carries the signed-in token; a call
 * the server refuses as Unauthenticated signs the user out with its reason.
 */
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { session, signOut } from "./session.js";

const auth: Interceptor = (next) => async (req) => {
  const token = session().token;
  if (token) req.header.set("authorization", `Bearer ${token}`);
  try {
    return await next(req);
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code === Code.Unauthenticated && session().authMode !== "off") {
      signOut(e.rawMessage || "the server refused the token");
    }
    throw e;
  }
};

const transport = createConnectTransport({
  baseUrl: window.location.origin,
  interceptors: [auth],
});

export const jobs = createClient(JobService, transport);
export const calendars = createClient(CalendarService, transport);
export const cluster = createClient(ClusterService, transport);
export const deadRuns = createClient(DeadLetterService, transport);
export const workflows = createClient(WorkflowService, transport);
export const backfills = createClient(BackfillService, transport);

/** A call's error as one line for the page. */
export function errorText(err: unknown): string {
  const e = ConnectError.from(err);
  return `${Code[e.code] ?? "Error"}: ${e.rawMessage}`;
}
