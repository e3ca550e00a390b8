/**
 * Asks before an action on many items (every dead run, every job with a
 * tag). `--yes` answers for scripts; without a terminal to ask on and no
 * `--yes`, the action is refused rather than taken.
 */

import { createInterface } from "node:readline/promises";
import { UsageError } from "./exit-codes.js";

export async function confirm(question: string, o: { yes?: boolean }): Promise<boolean> {
  if (o.yes) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${question} Refused: no terminal to ask on; add --yes to go ahead`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
