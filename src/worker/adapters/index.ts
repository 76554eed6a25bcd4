/** The built-in adapters, by kind. */
import type { Handler } from "@errand/client";
import { agentAdapter } from "./agent.js";
import { httpAdapter } from "./http.js";
import { mockAdapter } from "./mock.js";
import { shellAdapter } from "./shell.js";

export interface AdapterOptions {
  /** Run every shell task inside bubblewrap (read-only root, writable work dir, no network). */
  readonly sandbox?: boolean;
  /** Worker environment variables that shell and agent commands inherit. */
  readonly envAllow?: readonly string[];
  /** The agent CLI to run for the claude-code profile instead of `claude`. */
  readonly agentCommand?: readonly string[];
  /** SIGTERM → SIGKILL grace when a command is canceled or times out (ms, default 2000). */
  readonly killGraceMs?: number;
}

export const BUILTIN_KINDS = ["mock", "shell", "agent", "http"] as const;

export function builtinAdapters(options: AdapterOptions = {}): Record<string, Handler> {
  const common = {
    ...(options.envAllow ? { envAllow: options.envAllow } : {}),
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
  };
  return {
    mock: mockAdapter,
    shell: shellAdapter({ ...common, ...(options.sandbox ? { sandbox: true } : {}) }),
    agent: agentAdapter({
      ...common,
      ...(options.agentCommand ? { agentCommand: options.agentCommand } : {}),
    }),
    http: httpAdapter,
  };
}
