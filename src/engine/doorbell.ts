/** A wake-up flag a waiter can sleep on: ring() wakes the current or the next wait(). */
export class Doorbell {
  #rung = false;
  #wake: (() => void) | null = null;

  ring = (): void => {
    this.#rung = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  /** Resolves true when rung (now or before), false on timeout or abort. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#rung) {
      this.#rung = false;
      return Promise.resolve(true);
    }
    if (signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (rung: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = null;
        if (rung) this.#rung = false;
        resolve(rung);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => finish(true);
    });
  }
}
