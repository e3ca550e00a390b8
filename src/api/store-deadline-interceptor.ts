/**
 * Bounds the store calls each API call makes (`core/store-deadline.ts`):
 * with the store frozen or cut off, the caller gets Unavailable naming the
 * store within `timeoutMs` (CHRONORING_API_STORE_TIMEOUT_MS) of the store
 * call that hangs, not after the SDK's attempts and per-request timeouts.
 * The bound is per store call, so a long call made of many (ImportJobs) is
 * not cut short. It holds until the handler returns: the one response stream
 * (health Watch) reads no store.
 */

import type { Interceptor } from "@connectrpc/connect";
import { storeDeadlineScope } from "../core/store-deadline.js";

export function createStoreDeadlineInterceptor(timeoutMs: number): Interceptor {
  return (next) => async (req) => {
    const scope = storeDeadlineScope(timeoutMs);
    try {
      return await scope.run(() => next(req));
    } finally {
      scope.close();
    }
  };
}
