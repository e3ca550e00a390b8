import type { BackoffPolicy } from "../../core/backoff.js";

/**
 * Delays of the background loops that retry etcd (campaign reads, watch
 * re-reads): doubling from 50 ms up to 5 s, with equal jitter (each delay
 * half to all of its nominal) so that many watchers recovering from one etcd
 * outage do not retry in step.
 */
export const ETCD_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 5_000, jitter: 0.5 };
