/**
 * The registry of stable error codes. Every error Errand answers carries one of these codes;
 * a code is never reused for another meaning. docs/errors.md lists the same table, and a test
 * keeps the two in step.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, meaning: "The request is malformed in a way no other code names." },
  invalid_json: { status: 400, meaning: "The request body is not valid JSON." },
  invalid_id: {
    status: 400,
    meaning: "An id in the path or body does not have the form of that kind of id.",
  },
  invalid_cursor: { status: 400, meaning: "A list cursor or `after` position is malformed." },
  unauthenticated: {
    status: 401,
    meaning: "No credential was sent, or it is unknown, malformed, expired or revoked.",
  },
  insufficient_scope: {
    status: 403,
    meaning: "The credential is valid but lacks the scope this operation needs.",
  },
  forbidden_origin: {
    status: 403,
    meaning: "The request's Origin header is present but not allowed.",
  },
  route_not_found: { status: 404, meaning: "No endpoint has this method and path." },
  task_not_found: {
    status: 404,
    meaning: "No task with this id exists in the caller's tenant.",
  },
  key_not_found: { status: 404, meaning: "No API key with this id exists in the caller's tenant." },
  worker_not_found: {
    status: 404,
    meaning: "No worker with this id exists in the caller's tenant.",
  },
  receipt_not_found: {
    status: 404,
    meaning: "No receipt with this id exists for the caller.",
  },
  not_acceptable: {
    status: 406,
    meaning: "The endpoint cannot answer in any media type the Accept header allows.",
  },
  idempotency_conflict: {
    status: 409,
    meaning: "The idempotency key was used before with a different request body.",
  },
  lease_lost: {
    status: 409,
    meaning:
      "The lease named is not the task's current live lease (expired, released, superseded, or the task was canceled); nothing was changed.",
  },
  lease_limit_reached: {
    status: 409,
    meaning:
      "The lease may not be renewed again (renewal cap or lifetime cap); finish before it expires.",
  },
  task_terminal: {
    status: 409,
    meaning: "The task already reached a terminal state and cannot change.",
  },
  body_too_large: { status: 413, meaning: "The request body is larger than the configured cap." },
  unsupported_media_type: {
    status: 415,
    meaning: "The request body is not `application/json`.",
  },
  validation_failed: {
    status: 422,
    meaning:
      "The body, query or headers are well-formed but break the schema; `details` lists each problem.",
  },
  rate_limited: { status: 429, meaning: "Too many requests from this principal; retry later." },
  quota_exceeded: {
    status: 429,
    meaning:
      "A tenant quota (queued tasks, running tasks, events per task) is used up. Reserved: this version enforces no quotas yet.",
  },
  internal: {
    status: 500,
    meaning: "An unexpected failure; the cause is logged with the request id, never returned.",
  },
  unavailable: {
    status: 503,
    meaning: "The server is shutting down or its database is unreachable; retry later.",
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** An error with a stable code. `details` is safe to show the caller; `cause` is not. */
export class ErrandError extends Error {
  override readonly name = "ErrandError";
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export function isErrandError(value: unknown): value is ErrandError {
  return value instanceof ErrandError;
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : JSON.stringify(value), { cause: value });
}
