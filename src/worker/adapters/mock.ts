/**
 * The `mock` adapter: deterministic steps for demos and tests.
 *
 * Input `{ steps = 3, interval_ms = 100, fail_at? }`. For each step 1…steps it emits a
 * `task.progress` event `{current, total, message}` and a `task.output` event
 * `{stream: "stdout", text: "step i/steps\n"}`; at step `fail_at` it fails with a retryable
 * error (code `mock_failure`), otherwise it waits `interval_ms` and goes on. The result is
 * `{ steps }`.
 */
import type { Handler } from "@errand/client";
import { TaskFailure } from "@errand/client";
import { asObject, delay, optionalInt } from "./input.js";

export const mockAdapter: Handler = async (task, ctx) => {
  const input = task.input === null || task.input === undefined ? {} : asObject("mock", task.input);
  const steps = optionalInt("mock", input, "steps", 0, 100_000) ?? 3;
  const intervalMs = optionalInt("mock", input, "interval_ms", 0, 3_600_000) ?? 100;
  const failAt = optionalInt("mock", input, "fail_at", 1, 100_000);
  for (let i = 1; i <= steps; i++) {
    ctx.progress(i, steps, `step ${i}/${steps}`);
    ctx.output("stdout", `step ${i}/${steps}\n`);
    if (failAt === i) {
      throw new TaskFailure(`mock failure at step ${i}`, {
        retryable: true,
        code: "mock_failure",
        details: { step: i },
      });
    }
    if (intervalMs > 0) await delay(intervalMs, ctx.signal);
  }
  return { steps };
};
