/**
 * `chronoring workflows`: DAGs of jobs (WorkflowService). A workflow is
 * created from a file (`-f`: a Workflow or CreateWorkflowRequest in proto
 * JSON or YAML, its nodes and `dependsOn` edges), with flags for the name,
 * owner, tags and schedule.
 */

import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import {
  ListWorkflowRunsResponseSchema,
  ListWorkflowsResponseSchema,
  NodeRunStatusSchema,
  type Workflow,
  type WorkflowNode,
  type WorkflowNodeRun,
  type WorkflowRun,
  WorkflowRunStatusSchema,
  WorkflowSchema,
  WorkflowStatusSchema,
} from "../../gen/chronoring/v1/workflow_service_pb.js";
import { run } from "./context.js";
import { collect, enumLabel, intIn } from "./flag-values.js";
import { readMessageFile } from "./input-file.js";
import type { JobFlags } from "./job-flags.js";
import { addScheduleFlags, applySchedule } from "./job-flags-schedule.js";
import { emit, fields, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { whenText } from "./time-text.js";
import { scheduleText, targetText } from "./views.js";

function workflowColumns(nowMs: number) {
  return [
    { header: "ID", value: (w: Workflow) => w.id },
    { header: "NAME", value: (w: Workflow) => w.name, flex: true },
    { header: "STATUS", value: (w: Workflow) => enumLabel(WorkflowStatusSchema, w.status) },
    { header: "SCHEDULE", value: (w: Workflow) => scheduleText(w.schedule), flex: true },
    { header: "NODES", value: (w: Workflow) => String(w.nodes.length), optional: true },
    {
      header: "CREATED (UTC)",
      value: (w: Workflow) => whenText(w.createTime, nowMs),
      optional: true,
      flex: true,
    },
  ];
}

function workflowView(w: Workflow, nowMs: number): string {
  const head = fields([
    ["id", w.id],
    ["name", w.name],
    ["status", enumLabel(WorkflowStatusSchema, w.status)],
    ["owner", w.owner],
    ["tags", w.tags.join(", ") || "-"],
    ["schedule", scheduleText(w.schedule)],
    ["trigger job", w.triggerJobId || "-"],
    ["created", whenText(w.createTime, nowMs)],
  ]);
  const nodes = table(
    [
      { header: "NODE", value: (n: WorkflowNode) => n.key },
      {
        header: "DEPENDS ON",
        value: (n: WorkflowNode) => n.dependsOn.join(",") || "-",
        flex: true,
      },
      { header: "TARGET", value: (n: WorkflowNode) => targetText(n.target), flex: true },
      { header: "JOB", value: (n: WorkflowNode) => n.jobId || "-", optional: true },
    ],
    w.nodes,
  );
  return `${head}\n\n${nodes}`;
}

const nodeSummary = (r: WorkflowRun) =>
  r.nodes.map((n) => `${n.key}:${enumLabel(NodeRunStatusSchema, n.status)}`).join(" ");

function runColumns(nowMs: number) {
  return [
    { header: "RUN ID", value: (r: WorkflowRun) => r.id },
    { header: "STATUS", value: (r: WorkflowRun) => enumLabel(WorkflowRunStatusSchema, r.status) },
    {
      header: "SCHEDULED (UTC)",
      value: (r: WorkflowRun) => whenText(r.scheduledTime, nowMs),
      flex: true,
    },
    { header: "NODES", value: nodeSummary, flex: true, optional: true },
  ];
}

interface CreateOptions extends JobFlags {
  file?: string;
  name?: string;
  owner?: string;
  tag?: string[];
}

function createCommand(): Command {
  return addScheduleFlags(
    new Command("create")
      .description("create a workflow from a file (-f) of its nodes; flags set or override fields")
      .requiredOption("-f, --file <file>", "the workflow in proto JSON or YAML (- for stdin)")
      .option("--name <name>", "workflow name")
      .option("--owner <owner>", "owning team or user")
      .addOption(
        new Option("--tag <tag>", "a tag (repeat, or a,b); replaces the tags").argParser(collect),
      ),
  ).action(
    run<CreateOptions>(async (ctx) => {
      const { o } = ctx;
      const w = o.file
        ? (await readMessageFile(WorkflowSchema, o.file, "workflow")).message
        : create(WorkflowSchema);
      if (o.name !== undefined) w.name = o.name;
      if (o.owner !== undefined) w.owner = o.owner;
      if (o.tag !== undefined) w.tags = o.tag;
      const schedule = applySchedule(w.schedule, o);
      if (schedule !== undefined) w.schedule = schedule;
      const res = await ctx.api().workflows.createWorkflow({
        name: w.name,
        owner: w.owner,
        tags: w.tags,
        schedule: w.schedule,
        nodes: w.nodes,
      });
      emit(o, res, () => workflowView(res.workflow!, ctx.nowMs));
    }),
  );
}

interface ListOptions extends PagingOptions {
  owner: string;
  limit?: number;
}

const pagingFlags = (cmd: Command) =>
  cmd
    .addOption(new Option("--limit <n>", "items per page (1-500)").argParser(intIn(1, 500)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first");

function listCommand(): Command {
  return pagingFlags(
    new Command("list")
      .description("an owner's workflows, newest first")
      .requiredOption("--owner <owner>", "whose workflows"),
  ).action(
    run<ListOptions>(async (ctx) => {
      const { o } = ctx;
      const page = await pages(
        "listing workflows",
        async (pageToken) => {
          const res = await ctx
            .api()
            .workflows.listWorkflows({ owner: o.owner, pageSize: o.limit ?? 0, pageToken });
          return { items: res.workflows, next: res.nextPageToken };
        },
        o,
      );
      const response = create(ListWorkflowsResponseSchema, {
        workflows: page.items,
        nextPageToken: page.next,
      });
      emit(o, response, () => {
        if (page.next !== "")
          note(`more workflows: --all lists every page (or --page-token ${page.next})`);
        return table(workflowColumns(ctx.nowMs), page.items);
      });
    }),
  );
}

function runsCommand(): Command {
  return pagingFlags(
    new Command("runs")
      .description("a workflow's runs, newest first; or one run (its id has a colon) node by node")
      .argument("<id>", "workflow id, or run id <workflow id>:<scheduled ms>"),
  ).action(
    run<PagingOptions & { limit?: number }>(async (ctx) => {
      const { o } = ctx;
      const id = ctx.args[0] as string;
      if (id.includes(":")) {
        const res = await ctx.api().workflows.getWorkflowRun({ id });
        emit(o, res, () => {
          const r = res.run!;
          const head = table(runColumns(ctx.nowMs).slice(0, 3), [r]);
          const nodes = table(
            [
              { header: "NODE", value: (n: WorkflowNodeRun) => n.key },
              {
                header: "STATUS",
                value: (n: WorkflowNodeRun) => enumLabel(NodeRunStatusSchema, n.status),
              },
              { header: "EXECUTION", value: (n: WorkflowNodeRun) => n.executionId || "-" },
              {
                header: "ENDED (UTC)",
                value: (n: WorkflowNodeRun) => whenText(n.endTime, ctx.nowMs),
                flex: true,
                optional: true,
              },
            ],
            r.nodes,
          );
          return `${head}\n\n${nodes}`;
        });
        return;
      }
      const page = await pages(
        "listing workflow runs",
        async (pageToken) => {
          const res = await ctx
            .api()
            .workflows.listWorkflowRuns({ workflowId: id, pageSize: o.limit ?? 0, pageToken });
          return { items: res.runs, next: res.nextPageToken };
        },
        o,
      );
      const response = create(ListWorkflowRunsResponseSchema, {
        runs: page.items,
        nextPageToken: page.next,
      });
      emit(o, response, () => table(runColumns(ctx.nowMs), page.items));
    }),
  );
}

function byId(name: "get" | "delete" | "trigger", description: string): Command {
  return new Command(name)
    .description(description)
    .argument("<id>", "workflow id")
    .action(
      run(async (ctx) => {
        const id = ctx.args[0] as string;
        const api = ctx.api().workflows;
        if (name === "trigger") {
          const res = await api.triggerWorkflow({ id });
          emit(ctx.o, res, () => `started run ${res.runId}`);
          return;
        }
        const res =
          name === "get" ? await api.getWorkflow({ id }) : await api.deleteWorkflow({ id });
        emit(ctx.o, res, () => workflowView(res.workflow!, ctx.nowMs));
      }),
    );
}

export function workflowsCommand(): Command {
  return new Command("workflows")
    .description("workflows (DAGs of jobs): list, get, create, delete, trigger, runs")
    .addCommand(listCommand())
    .addCommand(byId("get", "show one workflow and its nodes"))
    .addCommand(createCommand())
    .addCommand(byId("delete", "cancel a workflow and its node jobs"))
    .addCommand(byId("trigger", "start a workflow run now"))
    .addCommand(runsCommand());
}
