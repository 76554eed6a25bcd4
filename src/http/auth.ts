/**
 * Authentication: `Authorization: Bearer <token>` resolved by the engine, before the body is
 * read, so an anonymous caller learns nothing about a route beyond `401`. Scopes are checked by
 * the engine, per operation. Routes marked `config: { public: true }` need no credential.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../core/index.js";
import { ErrandError } from "../core/index.js";
import type { Engine } from "../engine/index.js";
import { DEFAULT_TENANT } from "../engine/index.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No credential needed (health, JWKS, OpenAPI). */
    public?: boolean;
  }
}

/** Who acts when the server runs with `--insecure` and a request carries no credential. */
export const INSECURE_PRINCIPAL: Principal = {
  id: "insecure",
  tenantId: DEFAULT_TENANT,
  scopes: ["admin"],
  via: "insecure",
};

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function registerAuth(app: FastifyInstance, engine: Engine, insecure: boolean): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    if (request.is404 || request.routeOptions.config.public) return;
    const header = request.headers.authorization;
    if (header === undefined || header === "") {
      if (insecure) {
        request.principal = INSECURE_PRINCIPAL;
        return;
      }
      throw new ErrandError("unauthenticated", "send an API key as `Authorization: Bearer <key>`");
    }
    const match = BEARER.exec(header);
    if (!match) {
      throw new ErrandError("unauthenticated", "the Authorization header must be `Bearer <key>`");
    }
    request.principal = await engine.authenticate(match[1]!);
  });
}

/** The principal of an authenticated route; the onRequest hook guarantees there is one. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new ErrandError("unauthenticated", "this endpoint needs a credential");
  return principal;
}
