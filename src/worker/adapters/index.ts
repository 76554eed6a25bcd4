/** The built-in adapters, by kind. */
import type { Handler } from "@errand/client";
import { mockAdapter } from "./mock.js";

export interface AdapterOptions {
  /** Run shell tasks inside bubblewrap (read-only root, writable work dir, no network). */
  readonly sandbox?: boolean;
}

export function builtinAdapters(_options: AdapterOptions = {}): Record<string, Handler> {
  return {
    mock: mockAdapter,
  };
}
