import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, readYaml } from "./compose-file.js";

/**
 * TEMPORARY ALLOW-LIST — what the workflow may call before it exists. Empty: the
 * production build, its e2e test and the Dockerfile have landed. Add an entry only while
 * what provides it is on its way, and remove it when it lands (the first test below fails
 * until you do).
 */
const PENDING_SCRIPTS: string[] = [];
const PENDING_FILES: string[] = [];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  needs?: string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown[]> };
  steps: Step[];
}
interface Workflow {
  on: { push: { branches: string[]; tags: string[] }; pull_request: unknown };
  jobs: Record<string, Job>;
}

const workflow = readYaml<Workflow>(".github/workflows/ci.yml");
const scripts = Object.keys(
  JSON.parse(readFileSync(resolve(REPO, "package.json"), "utf8")).scripts as object,
);
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run] : []));
const allRuns = Object.values(workflow.jobs).flatMap(runs);
const step = (job: Job, uses: string) => job.steps.find((s) => s.uses?.startsWith(`${uses}@`));
/** The index of the first step whose command contains `text` (-1 if none). */
const runIndex = (job: Job, text: string) => job.steps.findIndex((s) => s.run?.includes(text));

describe(".github/workflows/ci.yml", () => {
  it("allows nothing pending that has landed (remove it from the lists above)", () => {
    expect(PENDING_SCRIPTS.filter((s) => scripts.includes(s))).toEqual([]);
    expect(PENDING_FILES.filter((f) => existsSync(resolve(REPO, f)))).toEqual([]);
  });

  it("calls only npm scripts that package.json has", () => {
    const called = allRuns.flatMap((r) =>
      [...r.matchAll(/\bnpm (?:run(?:-script)? ([\w:-]+)|(test)\b)/g)].map((m) => m[1] ?? m[2]!),
    );
    expect(called).toEqual(expect.arrayContaining(["test", "build", "test:e2e"]));
    for (const name of called) {
      expect([...scripts, ...PENDING_SCRIPTS], `npm run ${name}`).toContain(name);
    }
  });

  it("names only files the repository has", () => {
    const paths = allRuns.flatMap((r) =>
      [...r.matchAll(/\b(?:deploy|test)\/[\w./-]+/g)].map((m) => m[0]),
    );
    const jobFiles = Object.values(workflow.jobs).flatMap((j) =>
      j.steps.flatMap((s) => (typeof s.with?.file === "string" ? [s.with.file] : [])),
    );
    for (const path of [...paths, ...jobFiles]) {
      if (PENDING_FILES.includes(path)) continue;
      expect(existsSync(resolve(REPO, path)), path).toBe(true);
    }
  });

  it("runs npm test on Node 22 and 24, with main at hand for buf breaking", () => {
    const job = workflow.jobs.test!;
    expect(job.strategy?.matrix["node-version"]).toEqual(expect.arrayContaining([22, 24]));
    expect(step(job, "actions/setup-node")?.with?.["node-version"]).toMatch(
      /^\$\{\{ matrix\.node-version \}\}$/,
    );
    expect(step(job, "actions/checkout")?.with?.["fetch-depth"]).toBe(0);
    const npmTest = job.steps.findIndex((s) => s.run === "npm test");
    expect(npmTest).toBeGreaterThan(runIndex(job, "git branch main origin/main"));
    expect(runIndex(job, "git branch main origin/main")).toBeGreaterThanOrEqual(0);
  });

  it("lints the API schema and checks it against main's", () => {
    const job = workflow.jobs.buf!;
    expect(step(job, "actions/checkout")?.with?.["fetch-depth"]).toBe(0);
    expect(runs(job)).toContain("npx buf lint");
    expect(runs(job)).toContain("npx buf breaking --against '.git#branch=main'");
  });

  it("builds dist/ and runs the e2e test of the built output", () => {
    const job = workflow.jobs.build!;
    const build = runIndex(job, "npm run build");
    expect(build).toBeGreaterThanOrEqual(0);
    expect(runIndex(job, "npm run test:e2e -- test/e2e/production-build.test.ts")).toBeGreaterThan(
      build,
    );
  });

  it("builds the image after the tests and pushes it to GHCR on v* tags, with provenance", () => {
    expect(workflow.on.push.tags).toContain("v*");
    const job = workflow.jobs.image!;
    expect(job.needs?.sort()).toEqual(["buf", "build", "test"]);
    expect(job.permissions?.packages).toBe("write");
    const build = step(job, "docker/build-push-action")?.with;
    expect(build).toMatchObject({ context: ".", file: "Dockerfile", provenance: true, sbom: true });
    expect(String(build?.push)).toContain("env.PUSH");
    expect(JSON.stringify(job)).toContain("startsWith(github.ref, 'refs/tags/v')");
    expect(JSON.stringify(job)).toContain("ghcr.io/chronoring/chronoring");
    expect(step(job, "docker/login-action")?.with?.password).toMatch(
      /^\$\{\{ secrets\.GITHUB_TOKEN \}\}$/,
    );
  });
});
