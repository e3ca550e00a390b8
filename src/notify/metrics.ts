import { Counter, type Registry } from "prom-client";

export interface NotifyMetrics {
  /** Notifications by channel (webhook, email) and outcome (delivered, failed). */
  sent: Counter<"channel" | "outcome">;
}

export function createNotifyMetrics(registry: Registry): NotifyMetrics {
  return {
    sent: new Counter({
      name: "chronoring_notifications_total",
      help: "Run-outcome notifications by channel and outcome (failed: gave up after its retries)",
      labelNames: ["channel", "outcome"],
      registers: [registry],
    }),
  };
}
