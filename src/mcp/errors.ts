/**
 * Errand errors as JSON-RPC errors, for the MCP methods that are not tool calls (tasks/*,
 * resources/*). Tool calls report errors inside the result instead (see tool-kit.ts).
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { isErrandError } from "../core/index.js";
import type { Logger } from "../engine/index.js";

/** MCP's code for an unknown resource (specification, server/resources, "Error Handling"). */
export const RESOURCE_NOT_FOUND = -32002;

export function toMcpError(
  err: unknown,
  notFound: number = ErrorCode.InvalidParams,
  logger?: Logger,
): McpError {
  if (err instanceof McpError) return err;
  if (!isErrandError(err)) {
    logger?.error({ err }, "MCP request failed");
    return new McpError(ErrorCode.InternalError, "Internal Server Error");
  }
  const data = { code: err.code, ...(err.details !== undefined ? { details: err.details } : {}) };
  switch (err.code) {
    case "task_not_found":
    case "receipt_not_found":
    case "invalid_id":
      return new McpError(notFound, err.message, data);
    case "validation_failed":
    case "invalid_cursor":
    case "bad_request":
    case "task_terminal":
      return new McpError(ErrorCode.InvalidParams, err.message, data);
    case "unauthenticated":
    case "insufficient_scope":
      return new McpError(ErrorCode.InvalidRequest, err.message, data);
    default:
      return new McpError(ErrorCode.InternalError, err.message, data);
  }
}
