/**
 * Typed errors rebuilt from the wire envelope `{statusCode, code, error, message, details?}`.
 * Catch `ErrandApiError` for everything, or a subclass for one family of codes.
 */

/** Any error answered by an Errand server; `code` is the stable string from docs/errors.md. */
export class ErrandApiError extends Error {
  override name = "ErrandApiError";
  /** The stable error code, e.g. `task_not_found`, or `network_error` when nothing answered. */
  readonly code: string;
  /** The HTTP status (0 when the server could not be reached). */
  readonly status: number;
  readonly details: unknown;

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
    this.details = options.details;
  }
}

/** 409 `lease_lost`: the lease is no longer the task's live lease; the write changed nothing. */
export class LeaseLostError extends ErrandApiError {
  override name = "LeaseLostError";
}
/** 409 `task_terminal`: the task already finished. */
export class TaskTerminalError extends ErrandApiError {
  override name = "TaskTerminalError";
}
/** 409 `idempotency_conflict`: the key was used before with a different body. */
export class IdempotencyConflictError extends ErrandApiError {
  override name = "IdempotencyConflictError";
}
/** 404: the task, key, worker, receipt or route does not exist (for this tenant). */
export class NotFoundError extends ErrandApiError {
  override name = "NotFoundError";
}
/** 401 `unauthenticated`: no key, or an unknown, malformed or revoked one. */
export class AuthenticationError extends ErrandApiError {
  override name = "AuthenticationError";
}
/** 403: the key lacks the scope, or the origin is not allowed. */
export class PermissionError extends ErrandApiError {
  override name = "PermissionError";
}
/** 400/422: the request is malformed or breaks the schema; `details.issues` lists problems. */
export class ValidationError extends ErrandApiError {
  override name = "ValidationError";
}
/** 429: rate limit or tenant quota. */
export class RateLimitError extends ErrandApiError {
  override name = "RateLimitError";
}
/** 503 `unavailable` or a network failure: retry later. */
export class UnavailableError extends ErrandApiError {
  override name = "UnavailableError";
}

type ErrorClass = new (
  code: string,
  message: string,
  options?: { status?: number; details?: unknown; cause?: unknown },
) => ErrandApiError;

const BY_CODE: Record<string, ErrorClass> = {
  lease_lost: LeaseLostError,
  task_terminal: TaskTerminalError,
  idempotency_conflict: IdempotencyConflictError,
  task_not_found: NotFoundError,
  key_not_found: NotFoundError,
  worker_not_found: NotFoundError,
  receipt_not_found: NotFoundError,
  route_not_found: NotFoundError,
  unauthenticated: AuthenticationError,
  insufficient_scope: PermissionError,
  forbidden_origin: PermissionError,
  bad_request: ValidationError,
  invalid_json: ValidationError,
  invalid_id: ValidationError,
  invalid_cursor: ValidationError,
  validation_failed: ValidationError,
  rate_limited: RateLimitError,
  quota_exceeded: RateLimitError,
  unavailable: UnavailableError,
  network_error: UnavailableError,
};

/**
 * Rebuilds the typed error for a wire `code`.
 *
 * @example
 * const err = errorFromCode("lease_lost", "lease gone", { status: 409 });
 * err instanceof LeaseLostError; // true
 */
export function errorFromCode(
  code: string,
  message: string,
  options: { status?: number; details?: unknown; cause?: unknown } = {},
): ErrandApiError {
  const Class = BY_CODE[code] ?? ErrandApiError;
  return new Class(code, message, options);
}

/**
 * Turns an HTTP error answer into a typed error, whatever its body.
 *
 * @example
 * const res = await fetch(url);
 * if (!res.ok) throw errorFromResponse(res.status, await res.text());
 */
export function errorFromResponse(status: number, bodyText: string): ErrandApiError {
  type Envelope = { code?: unknown; message?: unknown; details?: unknown };
  let body: Envelope | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === "object") body = parsed as Envelope;
  } catch {
    body = undefined;
  }
  const code = typeof body?.code === "string" ? body.code : statusCode(status);
  const message =
    typeof body?.message === "string" ? body.message : bodyText.slice(0, 200) || `HTTP ${status}`;
  return errorFromCode(code, message, { status, details: body?.details });
}

function statusCode(status: number): string {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "insufficient_scope";
  if (status === 404) return "route_not_found";
  if (status === 429) return "rate_limited";
  if (status === 503) return "unavailable";
  if (status >= 500) return "internal";
  return "bad_request";
}

/**
 * Thrown by a handler to fail its task with a code, details, and whether to retry.
 *
 * @example
 * worker.handle("fetch", async (task) => {
 *   throw new TaskFailure("404 from upstream", { retryable: false, code: "upstream_404" });
 * });
 */
export class TaskFailure extends Error {
  override name = "TaskFailure";
  readonly retryable: boolean;
  readonly code: string | undefined;
  readonly details: unknown;

  constructor(
    message: string,
    options: { retryable?: boolean; code?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
    this.code = options.code;
    this.details = options.details;
  }
}

/**
 * True when `err` is an API error with this code.
 *
 * @example
 * try { await errand.cancelTask(id); } catch (err) { if (!hasCode(err, "task_terminal")) throw err; }
 */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof ErrandApiError && err.code === code;
}
