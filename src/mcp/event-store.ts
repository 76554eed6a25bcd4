/**
 * Resumable SSE streams for one HTTP session (MCP transports spec, "Resumability and
 * Redelivery"): the transport numbers the events of each stream, and a client whose connection
 * dropped during a long call (watch_task, tasks/result) reconnects with `Last-Event-ID` and gets
 * what it missed, the answer included. Kept in memory and bounded, because it only bridges a
 * dropped connection: after a server restart the session is gone anyway and the client calls
 * again (task state is in the store, not here).
 */
import type { EventStore } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export const DEFAULT_EVENTS_KEPT = 1_000;

export class SessionEventStore implements EventStore {
  /** Insertion order is event order; ids are `<streamId>:<n>`. */
  readonly #events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  #next = 0;

  constructor(private readonly limit = DEFAULT_EVENTS_KEPT) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}:${++this.#next}`;
    this.#events.set(id, { streamId, message });
    while (this.#events.size > this.limit) {
      const oldest = this.#events.keys().next().value;
      if (oldest === undefined) break;
      this.#events.delete(oldest);
    }
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const last = this.#events.get(lastEventId);
    if (!last) return "";
    let after = false;
    for (const [id, event] of [...this.#events]) {
      if (id === lastEventId) {
        after = true;
        continue;
      }
      // Priming events carry no message (an empty object); there is nothing to resend.
      if (after && event.streamId === last.streamId && Object.keys(event.message).length > 0) {
        await send(id, event.message);
      }
    }
    return last.streamId;
  }
}
