/** The one source of time. Tests inject a ManualClock and move it instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
  set(at: number): void {
    this.#now = at;
  }
}

export function toIso(at: number): string {
  return new Date(at).toISOString();
}
