/**
 * Delay before retry number `attempt` (0-based) of a background loop: doubles
 * from `baseMs` up to `maxMs`, with full jitter over the upper half so that
 * many watchers recovering from one etcd outage do not retry in step.
 */
export function retryDelayMs(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 50,
  maxMs = 5_000,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
