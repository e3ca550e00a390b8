/**
 * How long each store call made for an API call may take, its retries
 * included: an API caller gets Unavailable within seconds when the store
 * hangs (frozen, or cut off), instead of waiting out the SDK's attempts and
 * per-request timeouts. The api role opens a scope around each call; a store
 * adapter reads the bound for the calls made inside it. The scheduler's and
 * worker's calls run outside any scope and keep their own timeouts and
 * retries.
 *
 * The scope follows the call's async context (AsyncLocalStorage), so work
 * the call starts and leaves running (a wake-up, a log flush) would inherit
 * it: the scope is closed when the call ends, and counts for nothing after.
 */

import { AsyncLocalStorage } from "node:async_hooks";

interface Scope {
  timeoutMs: number;
  open: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

export interface StoreDeadlineScope {
  /** Runs `fn` (and what it awaits) with store calls bounded. */
  run<T>(fn: () => T): T;
  /** Ends the bound, for everything that inherited the scope. */
  close(): void;
}

/** A scope whose store calls each take at most `timeoutMs`, retries included. */
export function storeDeadlineScope(timeoutMs: number): StoreDeadlineScope {
  const scope: Scope = { timeoutMs, open: true };
  return {
    run: (fn) => scopes.run(scope, fn),
    close: () => {
      scope.open = false;
    },
  };
}

/** The bound of a store call made now: undefined outside an open scope. */
export function storeCallTimeoutMs(): number | undefined {
  const scope = scopes.getStore();
  return scope?.open ? scope.timeoutMs : undefined;
}
