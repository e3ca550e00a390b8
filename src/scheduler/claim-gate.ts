/**
 * Bounds the claim writes of lower priorities in flight in one scheduler
 * node, first come first served. HIGH claims do not pass through it: in a
 * burst, the passes over a backlog would otherwise put hundreds of claims
 * ahead of a HIGH one (in the SDK's connection pool, 50 sockets, and in the
 * store's own queue), and ahead of the workers' start writes too. Claims
 * only need to keep ahead of what the workers drain; a few dozen in flight
 * saturate DynamoDB Local, and go about a thousand a second on AWS.
 */
export interface ClaimGate {
  /** Resolves once `weight` more writes may go out. */
  acquire(weight: number): Promise<void>;
  release(weight: number): void;
}

export function createClaimGate(capacity: number): ClaimGate {
  let inFlight = 0;
  const waiting: Array<{ weight: number; go: () => void }> = [];
  const admit = () => {
    for (let next = waiting[0]; next; next = waiting[0]) {
      // A request larger than the capacity goes alone.
      if (inFlight > 0 && inFlight + next.weight > capacity) return;
      waiting.shift();
      inFlight += next.weight;
      next.go();
    }
  };
  return {
    acquire(weight) {
      return new Promise((go) => {
        waiting.push({ weight, go });
        admit();
      });
    },
    release(weight) {
      inFlight -= weight;
      admit();
    },
  };
}
