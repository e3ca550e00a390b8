/** Workflows: the list, and one workflow's DAG with its runs' per-node status. */
import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import {
  NodeRunStatus,
  WorkflowRunStatus,
} from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { errorText, workflows } from "../api.js";
import { Dag } from "../charts/dag.js";
import { scheduleText, time } from "../format.js";
import { usePoll } from "../poll.js";

const nodeStatus = (s: NodeRunStatus) =>
  (NodeRunStatus[s] ?? "").replace("NODE_RUN_STATUS_", "").toLowerCase();
const runStatus = (s: WorkflowRunStatus) =>
  (WorkflowRunStatus[s] ?? "").replace("WORKFLOW_RUN_STATUS_", "").toLowerCase();

export function WorkflowsPage() {
  const list = usePoll(() => workflows.listWorkflows({ pageSize: 100 }), []);
  return (
    <section>
      <h1>Workflows</h1>
      {list.error && <p class="error">{list.error}</p>}
      {list.data?.workflows.length === 0 && <p class="empty">No workflows.</p>}
      <ul class="plain">
        {list.data?.workflows.map((w) => (
          <li key={w.id}>
            <a href={`/ui/workflows/${encodeURIComponent(w.id)}`}>{w.name || w.id}</a> ·{" "}
            {w.nodes.length} nodes · <code>{scheduleText(w.schedule)}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function WorkflowPage() {
  const { params } = useRoute();
  const id = params.id ?? "";
  const wf = usePoll(() => workflows.getWorkflow({ id }).then((r) => r.workflow), [id], 30_000);
  const runs = usePoll(() => workflows.listWorkflowRuns({ workflowId: id, pageSize: 20 }), [id]);
  const [selected, setSelected] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const run = runs.data?.runs.find((r) => r.id === selected) ?? runs.data?.runs[0];
  const status = new Map(run?.nodes.map((n) => [n.key, nodeStatus(n.status)]) ?? []);
  return (
    <section>
      <p class="crumbs">
        <a href="/ui/workflows">Workflows</a> /
      </p>
      <h1>{wf.data?.name || id}</h1>
      {(wf.error || runs.error) && <p class="error">{wf.error ?? runs.error}</p>}
      {message && <p role="status">{message}</p>}
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            workflows.triggerWorkflow({ id }).then(
              (r) => {
                setMessage(`Started run ${r.runId}`);
                runs.reload();
              },
              (err: unknown) => setMessage(errorText(err)),
            )
          }
        >
          Trigger workflow
        </button>
      </div>
      {wf.data && <Dag nodes={wf.data.nodes} status={status} />}
      {run && (
        <p>
          Showing run <code>{run.id}</code> ({runStatus(run.status)}).
        </p>
      )}
      <h2>Runs</h2>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Workflow runs</caption>
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th>Scheduled</th>
              <th>Nodes</th>
            </tr>
          </thead>
          <tbody>
            {runs.data?.runs.map((r) => (
              <tr key={r.id} aria-selected={r.id === run?.id}>
                <td>
                  <button type="button" class="link" onClick={() => setSelected(r.id)}>
                    {r.id.slice(-12)}
                  </button>
                </td>
                <td>{runStatus(r.status)}</td>
                <td>{time(r.scheduledTime)}</td>
                <td>
                  {r.nodes.map((n) => (
                    <span key={n.key} class={`status s-${nodeStatus(n.status)}`}>
                      {n.key}: {nodeStatus(n.status)}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
