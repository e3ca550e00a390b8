import { ChronoringError } from "../../src/core/errors.js";
import type { JobCommands } from "../../src/core/job-commands.js";

/**
 * Job commands with no store behind them: every call is Unavailable. For
 * tests of the API transport, whose requests never reach a handler or only
 * reach grpc.health.v1.
 */
export function storelessCommands(): JobCommands {
  return new Proxy({} as JobCommands, {
    get: () => async () => {
      throw new ChronoringError("unavailable", "this test server has no store");
    },
  });
}
