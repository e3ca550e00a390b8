/**
 * `chronoring`: the operator's command line (docs/cli.md). One file per
 * command group (program.ts lists them); the output format is decided in
 * output.ts, exit codes in exit-codes.ts. bin/chronoring.mjs starts it;
 * `npm run token -- ...` runs `chronoring token ...`.
 */

import { main } from "./program.js";

// Exit once stdout has drained: an idle HTTP/2 session must not hold the process.
main(process.argv).then((code) => {
  process.stdout.write("", () => process.exit(code));
});
