/** Calendars: dates and weekdays on which schedules that name them do not fire. */
import { create } from "@bufbuild/protobuf";
import { useState } from "preact/hooks";
import {
  type Calendar,
  CalendarSchema,
  Weekday,
} from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { calendars, errorText } from "../api.js";
import { enumValues } from "../format.js";
import { usePoll } from "../poll.js";

const dayName = (d: Weekday) => (Weekday[d] ?? "").replace("WEEKDAY_", "").toLowerCase();

function CalendarForm({ calendar, onDone }: { calendar?: Calendar; onDone: () => void }) {
  const [name, setName] = useState(calendar?.name ?? "");
  const [description, setDescription] = useState(calendar?.description ?? "");
  const [dates, setDates] = useState(calendar?.excludedDates.join(", ") ?? "");
  const [days, setDays] = useState<Set<Weekday>>(new Set(calendar?.excludedWeekdays ?? []));
  const [error, setError] = useState<string | undefined>();
  const id = calendar ? `cal-${calendar.name}` : "cal-new";
  const submit = async (e: Event) => {
    e.preventDefault();
    const c = create(CalendarSchema, {
      name: name.trim(),
      description: description.trim(),
      excludedDates: dates
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      excludedWeekdays: [...days].sort(),
    });
    try {
      if (calendar) {
        await calendars.updateCalendar({
          calendar: c,
          updateMask: { paths: ["description", "excluded_dates", "excluded_weekdays"] },
          expectedVersion: calendar.version,
        });
      } else {
        await calendars.createCalendar({ calendar: c });
      }
      onDone();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form
      class="card form"
      onSubmit={submit}
      aria-label={calendar ? "Edit calendar" : "New calendar"}
    >
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="grid">
        {!calendar && (
          <>
            <label for={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              required
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </>
        )}
        <label for={`${id}-desc`}>Description</label>
        <input
          id={`${id}-desc`}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <label for={`${id}-dates`}>Excluded dates (YYYY-MM-DD, comma-separated)</label>
        <input id={`${id}-dates`} value={dates} onInput={(e) => setDates(e.currentTarget.value)} />
      </div>
      <fieldset>
        <legend>Excluded weekdays</legend>
        {enumValues(Weekday).map((d) => (
          <label key={d} class="check">
            <input
              type="checkbox"
              checked={days.has(d)}
              onChange={(e) => {
                const next = new Set(days);
                if (e.currentTarget.checked) next.add(d);
                else next.delete(d);
                setDays(next);
              }}
            />
            {dayName(d)}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="submit">{calendar ? "Save" : "Create calendar"}</button>
      </div>
    </form>
  );
}

export function CalendarsPage() {
  const list = usePoll(() => calendars.listCalendars({}), [], 10_000);
  const [editing, setEditing] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const done = () => {
    setEditing(undefined);
    setCreating(false);
    list.reload();
  };
  return (
    <section>
      <div class="title-row">
        <h1>Calendars</h1>
        <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          New calendar
        </button>
      </div>
      {creating && <CalendarForm onDone={done} />}
      {(error || list.error) && (
        <p role="alert" class="error">
          {error ?? list.error}
        </p>
      )}
      {list.data?.calendars.length === 0 && <p class="empty">No calendars.</p>}
      {list.data?.calendars.map((c) => (
        <article key={c.name} class="card">
          <h2>{c.name}</h2>
          <p>{c.description}</p>
          <p>
            Excluded dates: {c.excludedDates.join(", ") || "none"}; weekdays:{" "}
            {c.excludedWeekdays.map(dayName).join(", ") || "none"}
          </p>
          <div class="actions">
            <button
              type="button"
              aria-label={`Edit calendar ${c.name}`}
              aria-expanded={editing === c.name}
              onClick={() => setEditing(editing === c.name ? undefined : c.name)}
            >
              Edit
            </button>
            <button
              type="button"
              class="danger"
              aria-label={`Delete calendar ${c.name}`}
              onClick={() =>
                window.confirm(`Delete calendar ${c.name}?`) &&
                calendars
                  .deleteCalendar({ name: c.name })
                  .then(done, (err: unknown) => setError(errorText(err)))
              }
            >
              Delete
            </button>
          </div>
          {editing === c.name && <CalendarForm calendar={c} onDone={done} />}
        </article>
      ))}
    </section>
  );
}
