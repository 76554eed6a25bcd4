/**
 * Two real `errand serve` processes on one PostgreSQL schema (the binary, over sockets): a task
 * created on node 1 is claimed by a worker attached to node 2 and streamed live over SSE from
 * node 1; node 2 is killed mid-stream, the worker carries on through node 1, and the SSE client
 * resumes through node 1 with no gap and no duplicate. The sweeper moves to the survivor.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { PG_AVAILABLE, TEST_PG_URL, adminQuery, dropSchema, randomSchema } from "./pg-harness.js";
import { readSse, type SseFrame } from "./sse-harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "errand.js");

interface Node {
  readonly url: string;
  readonly child: ChildProcess;
  readonly dir: string;
  readonly exited: Promise<unknown>;
}

const nodes: Node[] = [];
let schema: string | null = null;

afterEach(async () => {
  for (const n of nodes.splice(0)) {
    if (n.child.exitCode === null && n.child.signalCode === null) {
      n.child.kill("SIGKILL");
      await n.exited;
    }
    rmSync(n.dir, { recursive: true, force: true });
  }
  if (schema) await dropSchema(schema);
  schema = null;
});

function serve(db: string): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), "errand-pg-node-"));
  const child = spawn(
    process.execPath,
    [BIN, "serve", "--port", "0", "--data-dir", dir, "--no-worker", "--db", db],
    {
      cwd: dir,
      env: { ...process.env, ERRAND_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+) \(/.exec(output);
      if (match) {
        const node = { url: match[1]!, child, dir, exited };
        nodes.push(node);
        resolve(node);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => reject(new Error(`errand serve exited before listening:\n${output}`)));
  });
}

async function until<T>(check: () => Promise<T | null> | T | null, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether the connection named `name` (a node's sweeper session) holds an advisory lock. */
async function holdsSweeper(name: string): Promise<true | null> {
  const rows = await adminQuery(
    `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
    [name],
  );
  return rows.length > 0 ? true : null;
}

describe.skipIf(!PG_AVAILABLE)("two errand serve nodes on one PostgreSQL database", () => {
  it("claims across nodes, streams live, survives killing node 2 mid-stream with no gap or duplicate, and moves the sweeper", async () => {
    schema = randomSchema("e2e");
    const dbUrl = new URL(TEST_PG_URL);
    dbUrl.searchParams.set("schema", schema);
    dbUrl.searchParams.set("pool_size", "4");
    const db = dbUrl.toString();

    // Node 2 starts first and so becomes the sweeper.
    const two = await serve(db);
    await until(() => holdsSweeper(`errand-sweeper:node-${two.child.pid}`));
    const one = await serve(db);
    const key = readFileSync(join(two.dir, "admin.key"), "utf8").trim();
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const post = async (node: Node, path: string, body: unknown) => {
      const res = await fetch(`${node.url}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    };
    expect(await (await fetch(`${one.url}/v1/health`)).json()).toMatchObject({
      status: "ok",
      backend: "postgres",
    });

    // A worker attached to node 2 long-polls before the task exists; node 1's NOTIFY wakes it.
    const worker = await post(two, "/v1/workers", { name: "w2", kinds: ["e2e"] });
    expect(worker.status).toBe(201);
    const workerId = worker.body.id as string;
    const claim = post(two, "/v1/leases/claim", { worker_id: workerId, wait_ms: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    const created = await post(one, "/v1/tasks", { kind: "e2e", input: { n: 1 } });
    expect(created.status).toBe(201);
    const taskId = created.body.id as string;
    const claimed = await claim;
    expect(claimed.status).toBe(200);
    const leases = claimed.body.leases as { lease_id: string; task: { id: string } }[];
    expect(leases.map((l) => l.task.id)).toEqual([taskId]);
    const leaseId = leases[0]!.lease_id;

    // An SSE client on node 1 follows the task live while the worker appends through node 2.
    const seen: SseFrame[] = [];
    let dropAfterSeq = Infinity;
    const first = readSse(
      `${one.url}/v1/tasks/${taskId}/events`,
      { authorization: headers.authorization },
      (f) => {
        seen.push(f);
        return Number(f.id) < dropAfterSeq;
      },
    );
    const seenSeq = (seq: number) => () => (seen.some((f) => Number(f.id) >= seq) ? true : null);
    await until(seenSeq(2)); // created, leased
    for (let i = 1; i <= 3; i++) {
      const appended = await post(two, `/v1/leases/${leaseId}/events`, {
        events: [{ type: "task.progress", data: { current: i, total: 8 } }],
      });
      expect(appended.status).toBe(200);
      // Each event reaches node 1's stream through NOTIFY and a read of the rows.
      await until(seenSeq(2 + i));
    }

    // Node 2 dies mid-stream. The worker carries on through node 1 under the same lease; the
    // client's connection drops right after seq 7 and it resumes through node 1 from there.
    dropAfterSeq = 7;
    two.child.kill("SIGKILL");
    await two.exited;
    for (let i = 4; i <= 5; i++) {
      const appended = await post(one, `/v1/leases/${leaseId}/events`, {
        events: [{ type: "task.progress", data: { current: i, total: 8 } }],
      });
      expect(appended.status).toBe(200);
    }
    expect((await first).how).toBe("dropped");
    const lastSeen = Number(seen.at(-1)!.id);

    const rest: SseFrame[] = [];
    const second = readSse(
      `${one.url}/v1/tasks/${taskId}/events`,
      { authorization: headers.authorization, "last-event-id": String(lastSeen) },
      (f) => {
        rest.push(f);
      },
    );
    for (let i = 6; i <= 8; i++) {
      const appended = await post(one, `/v1/leases/${leaseId}/events`, {
        events: [{ type: "task.progress", data: { current: i, total: 8 } }],
      });
      expect(appended.status).toBe(200);
    }
    const done = await post(one, `/v1/leases/${leaseId}/complete`, { result: { ok: true } });
    expect(done.status).toBe(200);
    expect((await second).how).toBe("ended");

    const all = [...seen, ...rest];
    expect(all.map((f) => Number(f.id))).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(all.map((f) => f.event)).toEqual([
      "task.created",
      "task.leased",
      ...Array.from({ length: 8 }, () => "task.progress"),
      "task.succeeded",
    ]);
    expect(
      all.filter((f) => f.event === "task.progress").map((f) => JSON.parse(f.data).data.current),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const verify = await fetch(`${one.url}/v1/tasks/${taskId}/verify`, { headers });
    expect(await verify.json()).toMatchObject({ ok: true, checked: 11 });

    // The sweeper lock died with node 2's connection; node 1 takes it over.
    await until(() => holdsSweeper(`errand-sweeper:node-${one.child.pid}`));
    expect(await holdsSweeper(`errand-sweeper:node-${two.child.pid}`)).toBeNull();
  });
});
