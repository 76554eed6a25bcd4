/**
 * The one error envelope, `{statusCode, code, error, message, details?}`, for everything the
 * HTTP layer answers: ErrandErrors keep their code, Fastify's own errors are mapped onto the
 * registry of src/core/errors.ts, and anything else becomes a 500 whose cause is logged with the
 * request id and never sent.
 */
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorCode } from "../core/index.js";
import { ErrandError, isErrandError, statusOf } from "../core/index.js";

export interface ErrorEnvelope {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly error: string;
  readonly message: string;
  readonly details?: unknown;
}

export function envelopeOf(err: ErrandError): ErrorEnvelope {
  const statusCode = statusOf(err.code);
  return {
    statusCode,
    code: err.code,
    error: STATUS_CODES[statusCode] ?? "Error",
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
  };
}

/** Fastify's error codes (lib/errors.js) that mean the client sent something wrong. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_ASYNC_CONSTRAINT: "bad_request",
};

/** Maps anything thrown while answering a request to an ErrandError; null means "internal". */
export function classify(err: unknown): ErrandError | null {
  if (isErrandError(err)) return err;
  if (!(err instanceof Error)) return null;
  const fastifyError = err as Partial<FastifyError>;
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped === "body_too_large") {
    return new ErrandError(mapped, "the request body is larger than the configured cap");
  }
  if (mapped === "unsupported_media_type") {
    return new ErrandError(mapped, "send the request body as application/json");
  }
  if (mapped === "invalid_json") {
    return new ErrandError(mapped, "the request body is not valid JSON");
  }
  if (mapped) return new ErrandError(mapped, err.message);
  if (err instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new ErrandError("invalid_json", `the request body is not valid JSON: ${err.message}`);
  }
  return null;
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
): FastifyReply {
  let known = classify(err);
  if (!known) {
    request.log.error({ err, reqId: request.id }, "request failed");
    known = new ErrandError("internal", "Internal Server Error");
  }
  if (known.code === "unauthenticated") reply.header("WWW-Authenticate", "Bearer");
  if (known.code === "insufficient_scope") {
    reply.header("WWW-Authenticate", 'Bearer error="insufficient_scope"');
  }
  const envelope = envelopeOf(known);
  return reply.code(envelope.statusCode).type("application/json; charset=utf-8").send(envelope);
}
