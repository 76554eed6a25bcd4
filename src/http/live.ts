/**
 * Requests that stay open (SSE streams, long-polls). Each gets an AbortSignal that fires when
 * the client goes away or the server shuts down, so engine iterators and waits end promptly
 * and `app.close()` never waits on a stream that would otherwise last forever.
 */
import type { FastifyReply } from "fastify";

export interface LiveHandle {
  readonly signal: AbortSignal;
  /** Stops tracking; call when the request is done. */
  done(): void;
}

export class LiveRequests {
  readonly #open = new Set<AbortController>();
  #closing = false;

  get size(): number {
    return this.#open.size;
  }

  get closing(): boolean {
    return this.#closing;
  }

  open(reply: FastifyReply): LiveHandle {
    const controller = new AbortController();
    const raw = reply.raw;
    // `close` on the response fires when it finished or when the connection dropped first.
    const onClose = (): void => controller.abort();
    raw.once("close", onClose);
    if (this.#closing || raw.destroyed) controller.abort();
    this.#open.add(controller);
    return {
      signal: controller.signal,
      done: () => {
        raw.off("close", onClose);
        this.#open.delete(controller);
      },
    };
  }

  /** Ends every open stream and wait; later ones end at once. */
  abortAll(): void {
    this.#closing = true;
    for (const controller of this.#open) controller.abort();
  }
}
