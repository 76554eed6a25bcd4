/**
 * The OpenAPI 3.1 document, generated from the routes as registered and their zod request
 * schemas (`z.toJSONSchema`), so it lists exactly what the server serves.
 */
import { z } from "zod";
import { ERROR_CODES } from "../core/index.js";
import type { RouteDoc } from "./route-kit.js";

type JsonSchema = Record<string, unknown>;

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  delete out.$schema;
  return out;
}

function queryParameters(schema: z.ZodType): unknown[] {
  const json = jsonSchemaOf(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
    schema: property,
  }));
}

const ERROR_ENVELOPE: JsonSchema = {
  type: "object",
  required: ["statusCode", "code", "error", "message"],
  properties: {
    statusCode: { type: "integer" },
    code: { type: "string", enum: Object.keys(ERROR_CODES) },
    error: { type: "string" },
    message: { type: "string" },
    details: {},
  },
};

export function buildOpenApi(docs: readonly RouteDoc[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of docs) {
    const path = doc.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const pathParams = [...doc.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(doc.responses)) {
      const code = Number(status);
      responses[status] =
        code >= 400
          ? {
              description,
              content: {
                "application/json": { schema: { $ref: "#/components/schemas/Error" } },
              },
            }
          : {
              description,
              ...(code === 204
                ? {}
                : { content: Object.fromEntries(doc.produces.map((type) => [type, {}])) }),
            };
    }
    if (!doc.public) {
      responses["401"] ??= {
        description: "unauthenticated",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    responses.default = {
      description: "An error; `code` says which (docs/errors.md).",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
    const operation: Record<string, unknown> = {
      summary: doc.summary,
      tags: [doc.tag],
      parameters: [...pathParams, ...(doc.query ? queryParameters(doc.query) : [])],
      responses,
      ...(doc.public ? { security: [] } : {}),
      ...(doc.scopes.length > 0 ? { "x-scopes": doc.scopes } : {}),
    };
    if (doc.body) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: jsonSchemaOf(doc.body) } },
      };
    }
    (paths[path] ??= {})[doc.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Errand",
      version,
      description:
        "Durable background tasks for AI agents. Errors share one envelope; codes are listed in docs/errors.md.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An Errand API key." },
      },
      schemas: { Error: ERROR_ENVELOPE },
    },
    paths,
  };
}
