/**
 * The poll and sweep backstops of the tests' schedulers: `testConfig` (`app.ts`) and the
 * fault tests' nodes (`processes.ts`). Some tests write to the store behind a scheduler's
 * back, or wait on a recovery that no claim of that node announces: the backstops find them
 * within seconds (the defaults take minutes). Not shorter: an idle app read its 8 partitions
 * 96 times a second at 100 ms and 500 ms, 0.35 cores of it and the store (README, Tests).
 */
export const TEST_BACKSTOPS = { POLL_BACKSTOP_MS: "2000", SWEEP_BACKSTOP_MS: "5000" } as const;
