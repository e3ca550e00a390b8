/**
 * GetExecution of a run triggered but not yet started: it has no execution
 * record yet, and is answered from its job's claim record, for its own
 * tenant only.
 */
import { describe, expect, it } from "vitest";
import { memoryJobCommands, noopJobInput } from "../../support/memory-commands.js";

describe("GetExecution of a claimed run not yet started", () => {
  it("is QUEUED at once after TriggerJob; another tenant, another time or attempt gets NotFound", async () => {
    const { commands, clock } = memoryJobCommands();
    const job = await commands.create("acme", noopJobInput("1h"));
    const triggered = await commands.trigger("acme", job.id);
    expect(triggered.status).toBe("QUEUED");
    clock.advance(5);
    expect(await commands.getExecution("acme", triggered.id)).toMatchObject({
      id: triggered.id,
      jobId: job.id,
      scheduledMs: triggered.scheduledMs,
      attempt: 1,
      manual: true,
      status: "QUEUED",
    });
    const notFound = expect.objectContaining({ kind: "not_found" });
    await expect(commands.getExecution("other", triggered.id)).rejects.toEqual(notFound);
    const [, , attempt] = triggered.id.split(":");
    expect(attempt).toBe("1");
    await expect(commands.getExecution("acme", triggered.id.replace(/:1$/, ":2"))).rejects.toEqual(
      notFound,
    );
    await expect(
      commands.getExecution("acme", `${job.id}:${triggered.scheduledMs + 1}:1`),
    ).rejects.toEqual(notFound);
  });
});
