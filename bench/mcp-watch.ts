/**
 * watch_task wake-up latency: an MCP client waits in watch_task (wait_seconds 20) on a running
 * task; a worker appends one progress event; we time from the append call to the watch_task
 * result arriving at the client. Measured over the SDK's in-memory transport pair (the MCP
 * layer and engine alone) and over Streamable HTTP on a real socket (stateless POST with an
 * SSE response, as an HTTP client sees it). Embedded SQLite store, event log on.
 *
 * Goal: p99 ≤ 20 ms.
 *
 * Run: npx tsc -b && node dist/bench/mcp-watch.js   (BENCH_SAMPLES=N, default 500)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../src/core/index.js";
import { Engine } from "../src/engine/index.js";
import { buildApp } from "../src/http/app.js";
import { createMcpServer } from "../src/mcp/index.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { percentile, sleep } from "./support.js";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500);
const WARMUP = 20;
/** Time given to the watch call to reach its wait before the append; not part of the figure. */
const SETTLE_MS = 3;

const admin: Principal = { id: "bench", tenantId: "default", scopes: ["admin"], via: "internal" };

async function measure(engine: Engine, client: Client): Promise<number[]> {
  const { task } = await engine.createTask(admin, { kind: "bench", lease_ttl_ms: 3_600_000 });
  const worker = await engine.announceWorker(admin, { name: "bench", kinds: ["bench"] });
  const [lease] = await engine.claim(admin, { worker_id: worker.id });
  let after = lease!.task.lastSeq;
  const out: number[] = [];
  for (let i = 0; i < SAMPLES + WARMUP; i++) {
    const watching = client.callTool({
      name: "watch_task",
      arguments: { task_id: task.id, after, wait_seconds: 20 },
    }) as Promise<CallToolResult>;
    await sleep(SETTLE_MS);
    const t0 = performance.now();
    await engine.appendEvents(admin, lease!.leaseId, [
      { type: "task.progress", data: { current: i } },
    ]);
    const result = await watching;
    const elapsed = performance.now() - t0;
    const body = result.structuredContent as { events: unknown[]; next_cursor: number };
    if (body.events.length !== 1) throw new Error(`expected one event, got ${body.events.length}`);
    after = body.next_cursor;
    if (i >= WARMUP) out.push(elapsed);
  }
  return out.sort((a, b) => a - b);
}

function report(label: string, sorted: readonly number[]): void {
  const fmt = (n: number) => n.toFixed(2).padStart(7);
  console.log(
    `${label.padEnd(28)} n=${sorted.length}  p50 ${fmt(percentile(sorted, 50))} ms  p90 ${fmt(percentile(sorted, 90))} ms  p99 ${fmt(percentile(sorted, 99))} ms  max ${fmt(sorted.at(-1)!)} ms`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "errand-bench-mcp-"));
  const store = openSqliteStore({ path: join(dir, "errand.db") });
  const engine = new Engine({ store, sweepIntervalMs: 0 });
  await engine.start();
  try {
    console.log(
      `watch_task wake-up latency, append call → watch_task result at the client (${SAMPLES} samples)`,
    );

    const server = createMcpServer(engine, admin);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const memory = new Client({ name: "bench", version: "1" });
    await memory.connect(a);
    report("in-memory transport", await measure(engine, memory));
    await memory.close();
    await server.close();

    const issued = (await engine.bootstrapAdminKey())!;
    const app = await buildApp({ engine, config: { rateLimit: false } });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const http = new Client({ name: "bench", version: "1" });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${issued.token}` } },
      }),
    );
    report("Streamable HTTP (session)", await measure(engine, http));
    await http.close();
    await app.close();
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
