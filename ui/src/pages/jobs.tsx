/** Jobs: filtered by status, tag, owner and name; pages; updated live. */
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { jobs } from "../api.js";
import { FireStats } from "../charts/fire-stats.js";
import { enumValues, jobStatus, scheduleText, time } from "../format.js";
import { usePoll } from "../poll.js";
import { JobForm } from "./job-form.js";

const PAGE_SIZE = 25;

interface Filter {
  status: JobStatus;
  tag: string;
  owner: string;
  name: string;
}

export function JobsPage() {
  const { route } = useLocation();
  const [filter, setFilter] = useState<Filter>({
    status: JobStatus.UNSPECIFIED,
    tag: "",
    owner: "",
    name: "",
  });
  // The tokens of the pages before this one, and this one's.
  const [pages, setPages] = useState<string[]>([""]);
  const [creating, setCreating] = useState(false);
  const token = pages[pages.length - 1] ?? "";
  const list = usePoll(
    () =>
      jobs.listJobs({
        status: filter.status,
        tag: filter.tag.trim(),
        owner: filter.owner.trim(),
        nameContains: filter.name.trim(),
        pageSize: PAGE_SIZE,
        pageToken: token,
      }),
    [filter, token],
  );
  const setF = (next: Partial<Filter>) => {
    setFilter({ ...filter, ...next });
    setPages([""]);
  };

  return (
    <section>
      <div class="title-row">
        <h1>Jobs</h1>
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            New job
          </button>
        )}
      </div>
      {creating && (
        <JobForm
          onCancel={() => setCreating(false)}
          onDone={(job) => route(`/ui/jobs/${encodeURIComponent(job.id)}`)}
        />
      )}
      <FireStats />
      <form class="filters" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={String(filter.status)}
            onChange={(e) => setF({ status: Number(e.currentTarget.value) })}
          >
            <option value="0">any</option>
            {enumValues(JobStatus).map((s) => (
              <option key={s} value={String(s)}>
                {jobStatus(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input value={filter.tag} onChange={(e) => setF({ tag: e.currentTarget.value })} />
        </label>
        <label>
          Owner
          <input value={filter.owner} onChange={(e) => setF({ owner: e.currentTarget.value })} />
        </label>
        <label>
          Name contains
          <input value={filter.name} onChange={(e) => setF({ name: e.currentTarget.value })} />
        </label>
      </form>
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Jobs</caption>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Schedule</th>
              <th>Next run</th>
              <th>Last run</th>
              <th>Owner</th>
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.jobs.map((j) => (
              <tr key={j.id}>
                <td>
                  <a href={`/ui/jobs/${encodeURIComponent(j.id)}`}>{j.name || j.id}</a>
                </td>
                <td>
                  <span class={`status s-${jobStatus(j.status)}`}>{jobStatus(j.status)}</span>
                </td>
                <td>
                  <code>{scheduleText(j.schedule)}</code>
                </td>
                <td>{time(j.nextRunTime)}</td>
                <td>{time(j.lastRunTime)}</td>
                <td>{j.owner}</td>
                <td>{j.tags.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && list.data.jobs.length === 0 && <p class="empty">No jobs.</p>}
      </div>
      <nav class="pager" aria-label="Job pages">
        <button
          type="button"
          disabled={pages.length < 2}
          onClick={() => setPages(pages.slice(0, -1))}
        >
          Previous page
        </button>
        <span>Page {pages.length}</span>
        <button
          type="button"
          disabled={!list.data?.nextPageToken}
          onClick={() => setPages([...pages, list.data?.nextPageToken ?? ""])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
