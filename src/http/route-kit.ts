/**
 * One way to declare a route: method, path, the zod schemas of its body and query, and a
 * summary. Registering it validates input with `parseRequest` before the handler runs and
 * records it for the OpenAPI document, so the document cannot drift from what is served.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Principal } from "../core/index.js";
import { parseRequest } from "../engine/index.js";
import { principalOf } from "./auth.js";

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteContext<B, Q> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The authenticated caller (throws `unauthenticated` on a public route without one). */
  readonly principal: Principal;
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
}

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly summary: string;
  readonly tag: "tasks" | "events" | "leases" | "workers" | "receipts" | "operators";
  /** Scopes that may call it (for the document; the engine enforces them). */
  readonly scopes?: readonly string[];
  readonly public?: boolean;
  /** Long-lived streams are exempt from the rate limiter. */
  readonly stream?: boolean;
  readonly body?: B;
  /** What to validate as the body, when it is more than `request.body` (e.g. a header merged in). */
  readonly bodyFrom?: (request: FastifyRequest) => unknown;
  readonly query?: Q;
  /** Status → description, for the document. */
  readonly responses: Readonly<Record<number, string>>;
  readonly produces?: readonly string[];
  readonly handler: (ctx: RouteContext<Infer<B>, Infer<Q>>) => Promise<unknown>;
}

export interface RouteDoc {
  readonly method: string;
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly scopes: readonly string[];
  readonly public: boolean;
  readonly body: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly responses: Readonly<Record<number, string>>;
  readonly produces: readonly string[];
}

export class RouteKit {
  readonly docs: RouteDoc[] = [];
  readonly #app: FastifyInstance;

  constructor(app: FastifyInstance) {
    this.#app = app;
  }

  route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q>,
  ): void {
    this.docs.push({
      method: spec.method,
      url: spec.url,
      summary: spec.summary,
      tag: spec.tag,
      scopes: spec.scopes ?? [],
      public: spec.public ?? false,
      body: spec.body,
      query: spec.query,
      responses: spec.responses,
      produces: spec.produces ?? ["application/json"],
    });
    const bodySchema = spec.body;
    const querySchema = spec.query;
    const bodyFrom = spec.bodyFrom ?? ((request: FastifyRequest) => request.body ?? {});
    this.#app.route({
      method: spec.method,
      url: spec.url,
      config: {
        public: spec.public ?? false,
        ...(spec.stream ? { rateLimit: false } : {}),
      },
      handler: async (request, reply) => {
        const body = (
          bodySchema ? parseRequest(bodySchema, bodyFrom(request), "body") : undefined
        ) as Infer<B>;
        const query = (
          querySchema ? parseRequest(querySchema, request.query ?? {}, "query") : undefined
        ) as Infer<Q>;
        const result = await spec.handler({
          request,
          reply,
          get principal() {
            return principalOf(request);
          },
          body,
          query,
          params: (request.params ?? {}) as Record<string, string>,
        });
        if (reply.sent) return reply;
        return result;
      },
    });
  }
}
