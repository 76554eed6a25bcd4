/**
 * The small frame every MCP tool is written in: a zod input schema (validated here, so bad
 * arguments become a clear tool error), a zod output schema (advertised as `outputSchema`), the
 * scopes that may see and call the tool, and a handler that calls the engine. Turning results
 * and errors into `CallToolResult`s lives here too, so the tools stay one-liners over the engine.
 */
import { z } from "zod";
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Principal, Scope } from "../core/index.js";
import { ErrandError, isErrandError } from "../core/index.js";
import { hasScope, parseRequest } from "../engine/index.js";

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Any one of these lets a principal see and call the tool; empty means everyone. */
  readonly scopes: readonly Scope[];
  readonly input: I;
  readonly output: O;
  readonly annotations?: Tool["annotations"];
  /** "optional": the tool may also be called as an MCP task (protocol revision 2025-11-25). */
  readonly taskSupport?: "optional";
  /** Returns the structured result; the SDK client checks it against `output`, and so do our tests. */
  readonly run: (args: z.infer<I>, extra: ToolExtra) => Promise<object>;
  /** A one-line human rendering of the result for the text content block. */
  readonly render: (result: z.infer<O>) => string;
}

/** Identity helper that keeps the input and output types of one tool tied together. */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(def: ToolDef<I, O>): ToolDef {
  return def as unknown as ToolDef;
}

export function mayUse(principal: Principal, tool: Pick<ToolDef, "scopes">): boolean {
  return tool.scopes.length === 0 || tool.scopes.some((scope) => hasScope(principal, scope));
}

/** JSON Schema (2020-12, the MCP default dialect) of a zod schema, without the `$schema` key. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Tool["inputSchema"] {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  return json as Tool["inputSchema"];
}

export function describeTool(tool: ToolDef): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchemaOf(tool.input, "input"),
    outputSchema: jsonSchemaOf(tool.output, "output"),
    ...(tool.annotations ? { annotations: { title: tool.title, ...tool.annotations } } : {}),
    ...(tool.taskSupport ? { execution: { taskSupport: tool.taskSupport } } : {}),
  };
}

export function parseArgs<S extends z.ZodType>(tool: ToolDef, args: unknown): z.infer<S> {
  return parseRequest(tool.input, args ?? {}, "arguments") as z.infer<S>;
}

export function toolResult(tool: ToolDef, result: unknown, isError = false): CallToolResult {
  return {
    content: [{ type: "text", text: tool.render(result) }],
    structuredContent: result as Record<string, unknown>,
    ...(isError ? { isError: true } : {}),
  };
}

/** Where a tool error's code, message and details travel besides the text (`_meta` key). */
export const ERROR_META_KEY = "errand/error";

/**
 * A failed call as a tool error (`isError: true`): the text starts with the stable code, so a
 * model reads it, and programs find `{code, message, details}` under `_meta["errand/error"]`.
 * It carries no structuredContent: the SDK client checks structuredContent against the tool's
 * outputSchema even on errors, and an error does not have the shape of a result. Anything that
 * is not an ErrandError is reported as `internal` without its message, like a REST 500.
 */
export function toolError(err: unknown): CallToolResult {
  const e = isErrandError(err)
    ? err
    : new ErrandError("internal", "Internal Server Error", { cause: err });
  const error = {
    code: e.code,
    message: e.message,
    ...(e.details !== undefined ? { details: e.details } : {}),
  };
  const details =
    e.details === undefined ? "" : `\ndetails: ${JSON.stringify(e.details).slice(0, 2_000)}`;
  return {
    content: [{ type: "text", text: `${e.code}: ${e.message}${details}` }],
    isError: true,
    _meta: { [ERROR_META_KEY]: error },
  };
}
