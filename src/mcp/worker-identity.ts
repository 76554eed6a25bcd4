/**
 * The worker an MCP principal claims as. Claims need an announced worker; an agent acting as a
 * worker through lease_next should not have to announce one itself, and a stateless HTTP
 * transport forgets everything between calls. So each principal gets one worker named after it,
 * found again in the store (and cached here), and re-announced only when it asks for kinds or
 * labels it did not carry yet.
 */
import type { Principal } from "../core/index.js";
import type { Engine } from "../engine/index.js";

const known = new WeakMap<
  Engine,
  Map<string, { id: string; kinds: Set<string>; labels: Set<string> }>
>();

export function mcpWorkerName(principal: Principal): string {
  return `mcp:${principal.id}`;
}

export async function ensureMcpWorker(
  engine: Engine,
  principal: Principal,
  kinds: readonly string[],
  labels: readonly string[],
): Promise<string> {
  let cache = known.get(engine);
  if (!cache) {
    cache = new Map();
    known.set(engine, cache);
  }
  const key = `${principal.tenantId}/${principal.id}`;
  let entry = cache.get(key);
  if (!entry) {
    const name = mcpWorkerName(principal);
    const existing = (await engine.listWorkers(principal)).find(
      (w) => w.name === name && w.principalId === principal.id,
    );
    if (existing)
      entry = { id: existing.id, kinds: new Set(existing.kinds), labels: new Set(existing.labels) };
  }
  const covered =
    entry && kinds.every((k) => entry!.kinds.has(k)) && labels.every((l) => entry!.labels.has(l));
  if (!entry || !covered) {
    const worker = await engine.announceWorker(principal, {
      ...(entry ? { id: entry.id } : {}),
      name: mcpWorkerName(principal),
      kinds: [...new Set([...(entry?.kinds ?? []), ...kinds])],
      labels: [...new Set([...(entry?.labels ?? []), ...labels])],
      version: "mcp",
    });
    entry = { id: worker.id, kinds: new Set(worker.kinds), labels: new Set(worker.labels) };
  }
  cache.set(key, entry);
  return entry.id;
}
