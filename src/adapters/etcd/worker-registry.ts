import type { Namespace } from "etcd3";
import { invalidArgument } from "../../core/errors.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";

/**
 * Worker ids recorded without a lease: they outlive the worker, so that a
 * leader seeing one in this list but not among the live members knows it died.
 */
export function createWorkerRegistry(ns: Namespace) {
  return {
    async remember(id: string): Promise<void> {
      if (id === "") throw invalidArgument("id", "must not be empty");
      await etcdCall(() => ns.put(keys.worker(id)).value("").exec());
    },
    async known(): Promise<string[]> {
      const found = await etcdCall(() => ns.getAll().prefix(keys.workerPrefix).keys());
      return found.map((key) => key.slice(keys.workerPrefix.length)).sort();
    },
    async forget(id: string): Promise<void> {
      await etcdCall(() => ns.delete().key(keys.worker(id)).exec());
    },
  };
}
