import type { ChatEvent } from "./events.js";

/** Conditions the user is told of once each, until they are over. */
export type Outage = "server_disk_full" | "server_storage_unavailable" | "local_write_failed";

export class Outages {
  private readonly told = new Set<Outage>();

  constructor(private readonly emit: (event: ChatEvent) => void) {}

  /** Emits `event` unless the user was already told of this outage. */
  tellOnce(outage: Outage, event: ChatEvent): void {
    if (this.told.has(outage)) return;
    this.told.add(outage);
    this.emit(event);
  }

  over(outage: Outage): void {
    this.told.delete(outage);
  }
}
