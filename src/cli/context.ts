/**
 * What a command's action gets: its options merged with the global ones
 * (`--url`, `--token`, `--as`, `--json`), its arguments, and the API clients,
 * connected on first use (so `--help` and usage errors never look for a token).
 */

import type { Command } from "commander";
import { type Api, type ConnectionOptions, connect } from "./connection.js";
import type { OutputOptions } from "./output.js";

export interface GlobalOptions extends ConnectionOptions, OutputOptions {}

export interface Context<O> {
  o: O & GlobalOptions;
  /** The command's arguments, as commander parsed them. */
  args: unknown[];
  api(): Api;
  /** When the command started: relative times are shown from it. */
  nowMs: number;
  command: Command;
}

/** Wraps a command's action: `.action(run<Options>(async ({ o, api }) => ...))`. */
export function run<O>(
  fn: (ctx: Context<O>) => Promise<void>,
): (...rest: unknown[]) => Promise<void> {
  return async (...rest) => {
    const command = rest[rest.length - 1] as Command;
    let api: Api | undefined;
    const o = command.optsWithGlobals<O & GlobalOptions>();
    await fn({
      o,
      args: rest.slice(0, -2),
      api: () => {
        api ??= connect(o);
        return api;
      },
      nowMs: Date.now(),
      command,
    });
  };
}
