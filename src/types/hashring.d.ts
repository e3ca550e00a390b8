/**
 * The part of `hashring` 3.x that Chronoring uses (the package ships no types).
 * Servers given as an object map each name to its options; a per-server
 * `vnodes` that differs from the ring's `vnode count` is used as is.
 */
declare module "hashring" {
  type HashRingServers = string | string[] | Record<string, { vnodes?: number; weight?: number }>;

  interface HashRingOptions {
    /** Default md5 hashes per server and weight unit (40); each hash gives `replicas` ring points. */
    "vnode count"?: number;
    /** Ring points per hash (4, as libketama). */
    replicas?: number;
    "default port"?: number;
    compatibility?: "hash_ring" | "ketama";
    "max cache size"?: number;
  }

  class HashRing {
    constructor(
      servers?: HashRingServers,
      algorithm?: string | ((key: string) => Buffer | string),
      options?: HashRingOptions,
    );
    /** The server owning `key`, or undefined when the ring is empty. */
    get(key: string): string | undefined;
  }

  export = HashRing;
}
