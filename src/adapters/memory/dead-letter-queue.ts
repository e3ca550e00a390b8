import type { DeadLetterQueue, DeadRunMessage } from "../../core/ports/dead-letter-queue.js";
import { copy } from "./memory-db.js";

/** The dead letter notices in memory: nobody outside the process reads them; `messages` shows them. */
export function createMemoryDeadLetterQueue(): DeadLetterQueue & { messages(): DeadRunMessage[] } {
  let messages: DeadRunMessage[] = [];
  return {
    async init() {},
    async publish(message) {
      messages.push(copy(message));
    },
    async purge() {
      messages = [];
    },
    messages: () => messages.map(copy),
  };
}
