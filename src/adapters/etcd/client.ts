import { Etcd3 } from "etcd3";

/**
 * An etcd3 client whose unary calls carry a deadline. etcd3 1.1.2 ignores
 * `dialTimeout`, so without one a call to an unreachable host waits for the
 * TCP connect timeout. Streams (watch, keep-alive) get no default deadline:
 * a watch lives forever and the session sets one per keep-alive.
 */
export function createEtcdClient(endpoints: string[], requestTimeoutMs: number): Etcd3 {
  if (endpoints.length === 0) throw new Error("etcd: no endpoints");
  return new Etcd3({
    hosts: endpoints,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs },
  });
}
