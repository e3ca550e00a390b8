/**
 * `chronoring`: the operator's command line. One file per command group;
 * `npm run token -- ...` runs `chronoring token ...`.
 */

import { Command } from "commander";
import { backupCommand, restoreCommand } from "./backup-command.js";
import { tokenCommand } from "./token-command.js";

const program = new Command("chronoring")
  .description("Chronoring operator commands")
  .showHelpAfterError()
  .addCommand(tokenCommand())
  .addCommand(backupCommand())
  .addCommand(restoreCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`chronoring: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
