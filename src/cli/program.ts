/**
 * The `chronoring` program: global options, one command group per file, and
 * the mapping of any error to its exit code (exit-codes.ts).
 */

import { Command, CommanderError, Option } from "commander";
import { applyCommand } from "./apply-command.js";
import { backfillsCommand } from "./backfill-command.js";
import { backupCommand, restoreCommand } from "./backup-command.js";
import { calendarsCommand } from "./calendars-command.js";
import { clusterCommand } from "./cluster-command.js";
import { baseUrl, DEFAULT_URL, urlOf } from "./connection.js";
import { dlqCommand } from "./dlq-command.js";
import { errorText, exitCodeOf, takeSuccessCode } from "./exit-codes.js";
import { jobsCommand } from "./jobs-command.js";
import { runsCommand } from "./runs-command.js";
import { tokenCommand } from "./token-command.js";
import { workflowsCommand } from "./workflows-command.js";

export function buildProgram(): Command {
  const program = new Command("chronoring")
    .description("Chronoring operator commands (docs/cli.md)")
    .addOption(
      new Option("--url <url>", `the API (default CHRONORING_URL, else ${DEFAULT_URL})`).argParser(
        baseUrl,
      ),
    )
    .option(
      "--token <jwt>",
      "bearer token (default CHRONORING_TOKEN, else the dev stack's .data/auth/admin.token)",
    )
    .option("--as <tenant>", "act on this tenant (an admin token of tenant default)")
    .option("--json", "print the response as proto JSON (one document)")
    .addCommand(jobsCommand())
    .addCommand(applyCommand())
    .addCommand(runsCommand())
    .addCommand(backfillsCommand())
    .addCommand(dlqCommand())
    .addCommand(calendarsCommand())
    .addCommand(workflowsCommand())
    .addCommand(clusterCommand())
    .addCommand(tokenCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand());
  // Commander exits by itself on a usage error; we map it to exit 2 instead.
  const everywhere = (cmd: Command) => {
    cmd.exitOverride().showHelpAfterError("(add --help for usage)");
    for (const sub of cmd.commands) everywhere(sub);
  };
  everywhere(program);
  return program;
}

/** Runs the CLI; resolves to its exit code (docs/cli.md has the table). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return takeSuccessCode();
  } catch (err) {
    // Commander has printed its own errors (and --help) already.
    if (!(err instanceof CommanderError)) {
      let url = DEFAULT_URL;
      try {
        url = urlOf(program.opts());
      } catch {}
      process.stderr.write(`chronoring: ${errorText(err, url)}\n`);
    }
    return exitCodeOf(err);
  }
}
