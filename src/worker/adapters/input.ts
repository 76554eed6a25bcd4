/** Input checks shared by the adapters: bad input fails the task at once, never retried. */
import { TaskFailure } from "@errand/client";

export function invalidInput(kind: string, message: string): TaskFailure {
  return new TaskFailure(`${kind}: invalid input: ${message}`, {
    retryable: false,
    code: "invalid_input",
  });
}

export function asObject(kind: string, input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw invalidInput(kind, "input must be an object");
  }
  return input as Record<string, unknown>;
}

export function optionalInt(
  kind: string,
  obj: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidInput(kind, `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function optionalString(
  kind: string,
  obj: Record<string, unknown>,
  field: string,
): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidInput(kind, `${field} must be a string`);
  return value;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A non-empty argv of strings, or `invalid_input`. */
export function argvOf(kind: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === "string")) {
    throw invalidInput(kind, "argv must be a non-empty array of strings");
  }
  return value as string[];
}
