/**
 * The admin UI's shell: sign-in when the server asks for a token, a
 * navigation bar, and one page per route under /ui/.
 */
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { CalendarsPage } from "./pages/calendars.js";
import { ClusterPage } from "./pages/cluster.js";
import { DeadRunsPage } from "./pages/dead-runs.js";
import { ExecutionPage } from "./pages/execution.js";
import { JobDetailPage } from "./pages/job-detail.js";
import { JobsPage } from "./pages/jobs.js";
import { NotFound } from "./pages/not-found.js";
import { SignIn } from "./pages/sign-in.js";
import { WorkflowPage, WorkflowsPage } from "./pages/workflows.js";
import { loadAuthMode, signOut, useSession } from "./session.js";
import "./styles.css";

const NAV = [
  ["/ui/jobs", "Jobs"],
  ["/ui/dead-runs", "Dead runs"],
  ["/ui/calendars", "Calendars"],
  ["/ui/workflows", "Workflows"],
  ["/ui/cluster", "Cluster"],
] as const;

function App() {
  const s = useSession();
  useEffect(() => {
    void loadAuthMode();
  }, []);
  if (s.authMode === "unknown") return <p class="loading">Loading…</p>;
  if (s.authMode === "jwt" && !s.token) return <SignIn reason={s.reason} />;
  return (
    <LocationProvider>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Chronoring</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a key={href} href={href}>
              {label}
            </a>
          ))}
        </nav>
        {s.authMode === "jwt" && (
          <button type="button" class="quiet" onClick={() => signOut()}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/ui/" component={JobsPage} />
          <Route path="/ui/jobs" component={JobsPage} />
          <Route path="/ui/jobs/:id" component={JobDetailPage} />
          <Route path="/ui/executions/:id" component={ExecutionPage} />
          <Route path="/ui/dead-runs" component={DeadRunsPage} />
          <Route path="/ui/calendars" component={CalendarsPage} />
          <Route path="/ui/workflows" component={WorkflowsPage} />
          <Route path="/ui/workflows/:id" component={WorkflowPage} />
          <Route path="/ui/cluster" component={ClusterPage} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
