/**
 * The store conformance suite: every backend runs it unchanged (see store-sqlite.test.ts and
 * store-postgres.test.ts). It drives the Engine over the store under test with a manual clock,
 * so lease deadlines are reached by moving time, never by sleeping.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Principal, Task } from "../src/core/index.js";
import { ErrandError, ManualClock, backoffDelay } from "../src/core/index.js";
import { Engine } from "../src/engine/index.js";
import type { CreateTaskRequest } from "../src/engine/index.js";
import type { Store } from "../src/store/store.js";
import { otherTenant, tasker, worker } from "./principals.js";

export interface StoreHarness {
  readonly store: Store;
  /** Another connection to the same database, for concurrency tests. */
  openAnother(): Promise<Store>;
  cleanup(): Promise<void>;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<ErrandError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ErrandError);
    expect((err as ErrandError).code).toBe(code);
    return err as ErrandError;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

export function describeStoreConformance(
  name: string,
  makeHarness: () => Promise<StoreHarness>,
): void {
  describe(`store conformance: ${name}`, () => {
    let h: StoreHarness;
    let clock: ManualClock;
    let engine: Engine;
    let workerId: string;
    let random = 0.5;

    const makeEngine = async (store: Store) => {
      const e = new Engine({ store, clock, sweepIntervalMs: 0, random: () => random });
      await e.start();
      return e;
    };

    beforeEach(async () => {
      h = await makeHarness();
      clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
      random = 0.5;
      engine = await makeEngine(h.store);
      await h.store.ensureTenant({ id: "other", name: "other", createdAt: clock.now() });
      const w = await engine.announceWorker(worker, {
        name: "w1",
        kinds: ["k", "other-kind"],
        labels: ["gpu"],
      });
      workerId = w.id;
    });

    afterEach(async () => {
      await engine.close();
      await h.cleanup();
    });

    const create = (req: Partial<CreateTaskRequest> = {}, who: Principal = tasker) =>
      engine.createTask(who, { kind: "k", ...req }).then((r) => r.task);
    const claimOne = async (extra: { kinds?: string[]; labels?: string[] } = {}) => {
      const leases = await engine.claim(worker, { worker_id: workerId, max: 1, ...extra });
      expect(leases).toHaveLength(1);
      return leases[0]!;
    };
    const snapshot = async (id: string) => ({
      task: await h.store.getTask("default", id),
      events: await h.store.readEvents("default", id, 0, 10_000),
      attempts: await h.store.listAttempts("default", id),
    });

    describe("creation and reads", () => {
      it("creates a queued task with a created event that starts the chain", async () => {
        const task = await create({ input: { a: 1 }, labels: { team: "x" }, priority: 5 });
        expect(task.state).toBe("queued");
        expect(task.attempts).toBe(0);
        expect(task.lastSeq).toBe(1);
        const got = await engine.getTask(tasker, task.id);
        expect(got).toMatchObject({
          id: task.id,
          input: { a: 1 },
          labels: { team: "x" },
          priority: 5,
        });
        const events = await h.store.readEvents("default", task.id, 0, 10);
        expect(events.map((e) => e.type)).toEqual(["task.created"]);
        expect(await engine.verifyTask(tasker, task.id)).toMatchObject({ ok: true, checked: 1 });
      });

      it("creates a batch all or none", async () => {
        await create({ idempotency_key: "taken", input: 1 });
        const before = await h.store.countTasks("default", "queued");
        await expectCode(
          engine.createTasks(tasker, [
            { kind: "k", input: "fine" },
            { kind: "k", idempotency_key: "taken", input: 2 },
          ]),
          "idempotency_conflict",
        );
        expect(await h.store.countTasks("default", "queued")).toBe(before);
      });

      it("lists newest first with cursor pages and filters", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          clock.advance(1);
          ids.push(
            (
              await create({
                kind: i % 2 ? "k" : "other-kind",
                labels: { n: String(i) },
                queue: i < 3 ? "a" : "b",
              })
            ).id,
          );
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await engine.listTasks(tasker, { limit: 3, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((t) => t.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual([...ids].reverse());
        expect((await engine.listTasks(tasker, { kind: "k" })).items).toHaveLength(3);
        expect((await engine.listTasks(tasker, { queue: "a" })).items).toHaveLength(3);
        expect((await engine.listTasks(tasker, { label: "n=4" })).items.map((t) => t.id)).toEqual([
          ids[4],
        ]);
        expect((await engine.listTasks(tasker, { label: "n" })).items).toHaveLength(7);
        expect((await engine.listTasks(tasker, { state: "running" })).items).toHaveLength(0);
      });

      it("keeps tenants apart", async () => {
        const mine = await create();
        await expectCode(engine.getTask(otherTenant, mine.id), "task_not_found");
        await expectCode(engine.cancelTask(otherTenant, mine.id), "task_not_found");
        expect((await engine.listTasks(otherTenant, {})).items).toHaveLength(0);
        const w2 = await engine.announceWorker(otherTenant, { name: "w", kinds: ["k"] });
        expect(await engine.claim(otherTenant, { worker_id: w2.id, max: 10 })).toHaveLength(0);
        await expectCode(engine.claim(otherTenant, { worker_id: workerId }), "worker_not_found");
        const lease = await claimOne();
        await expectCode(engine.complete(otherTenant, lease.leaseId, null), "lease_lost");
        expect((await engine.getTask(tasker, mine.id)).state).toBe("running");
      });
    });

    describe("idempotency", () => {
      it("answers the same task for the same key and body", async () => {
        const a = await engine.createTask(tasker, {
          kind: "k",
          input: { x: 1 },
          idempotency_key: "abc",
        });
        const b = await engine.createTask(tasker, {
          kind: "k",
          input: { x: 1 },
          idempotency_key: "abc",
        });
        expect(a.created).toBe(true);
        expect(b.created).toBe(false);
        expect(b.task.id).toBe(a.task.id);
        expect(await h.store.countTasks("default", "queued")).toBe(1);
      });

      it("refuses the same key with a different body, changing nothing", async () => {
        const a = await create({ input: { x: 1 }, idempotency_key: "abc" });
        const err = await expectCode(
          create({ input: { x: 2 }, idempotency_key: "abc" }),
          "idempotency_conflict",
        );
        expect(err.details).toMatchObject({ task_id: a.id });
        expect(await h.store.countTasks("default", "queued")).toBe(1);
      });

      it("scopes keys per tenant", async () => {
        const a = await create({ idempotency_key: "same" });
        const b = await create({ idempotency_key: "same" }, otherTenant);
        expect(b.id).not.toBe(a.id);
      });
    });

    describe("claims", () => {
      it("orders by priority, then run_at, then creation", async () => {
        const low = await create({ priority: 0 });
        clock.advance(1);
        const high = await create({ priority: 10 });
        clock.advance(1);
        const earlier = await create({
          priority: 0,
          run_at: new Date(clock.now() - 60_000).toISOString(),
        });
        clock.advance(1);
        const later = await create({ priority: 0 });
        const order: string[] = [];
        for (let i = 0; i < 4; i++) order.push((await claimOne()).task.id);
        expect(order).toEqual([high.id, earlier.id, low.id, later.id]);
      });

      it("does not claim before run_at", async () => {
        const t = await create({ delay_ms: 5_000 });
        expect(await engine.claim(worker, { worker_id: workerId })).toHaveLength(0);
        expect(await h.store.nextRunAt("default", clock.now())).toBe(t.runAt);
        clock.advance(5_000);
        expect((await claimOne()).task.id).toBe(t.id);
      });

      it("matches kinds and requirements", async () => {
        const needsGpu = await create({ requirements: ["gpu"] });
        const needsTpu = await create({ requirements: ["tpu"] });
        const otherKind = await create({ kind: "nobody-runs-this" });
        const claimed = await engine.claim(worker, { worker_id: workerId, max: 10 });
        expect(claimed.map((c) => c.task.id)).toEqual([needsGpu.id]);
        expect((await engine.getTask(tasker, needsTpu.id)).state).toBe("queued");
        expect((await engine.getTask(tasker, otherKind.id)).state).toBe("queued");
        const tpu = await claimOne({ labels: ["tpu", "gpu"] });
        expect(tpu.task.id).toBe(needsTpu.id);
      });

      it("claims a batch up to max, each with its own lease and attempt", async () => {
        for (let i = 0; i < 5; i++) await create();
        const leases = await engine.claim(worker, { worker_id: workerId, max: 3 });
        expect(leases).toHaveLength(3);
        expect(new Set(leases.map((l) => l.leaseId)).size).toBe(3);
        for (const l of leases) {
          expect(l.task).toMatchObject({ state: "running", attempts: 1 });
          expect(l.task.lease).toMatchObject({ id: l.leaseId, workerId, renewals: 0 });
          expect(l.task.lease!.expiresAt).toBe(clock.now() + 30_000);
          const attempts = await engine.listAttempts(tasker, l.task.id);
          expect(attempts).toMatchObject([
            { number: 1, leaseId: l.leaseId, workerId, outcome: null },
          ]);
        }
      });

      it("long-polls until a task arrives", async () => {
        const pending = engine.claim(worker, { worker_id: workerId, wait_ms: 5_000 });
        await new Promise((r) => setTimeout(r, 20));
        const t = await create();
        const leases = await pending;
        expect(leases.map((l) => l.task.id)).toEqual([t.id]);
      });

      it("never claims or completes a task twice under 8 concurrent claimers", async () => {
        const total = 2_000;
        for (let i = 0; i < total; i += 500) {
          await engine.createTasks(
            tasker,
            Array.from({ length: Math.min(500, total - i) }, (_, j) => ({
              kind: "k",
              input: i + j,
            })),
          );
        }
        const stores = [
          h.store,
          ...(await Promise.all(Array.from({ length: 7 }, () => h.openAnother()))),
        ];
        const engines = await Promise.all(stores.map((s) => makeEngine(s)));
        const claimedBy = new Map<string, number>();
        const completed = new Map<string, number>();
        let doubleClaims = 0;
        let doubleCompletions = 0;
        await Promise.all(
          engines.map(async (e, n) => {
            const w = await e.announceWorker(worker, { name: `c${n}`, kinds: ["k"] });
            while (true) {
              const leases = await e.claim(worker, { worker_id: w.id, max: 7 });
              if (leases.length === 0) return;
              for (const l of leases) {
                if (claimedBy.has(l.task.id)) doubleClaims++;
                claimedBy.set(l.task.id, n);
                await e.appendEvents(worker, l.leaseId, [
                  { type: "task.progress", data: { current: 1 } },
                ]);
                const done = await e.complete(worker, l.leaseId, { by: n });
                if (done.state === "succeeded")
                  completed.set(l.task.id, (completed.get(l.task.id) ?? 0) + 1);
              }
            }
          }),
        );
        for (const count of completed.values()) if (count > 1) doubleCompletions++;
        expect(doubleClaims).toBe(0);
        expect(doubleCompletions).toBe(0);
        expect(claimedBy.size).toBe(total);
        expect(completed.size).toBe(total);
        expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
        expect(await h.store.countTasks("default", "succeeded")).toBe(total);
        for (const e of engines.slice(1)) await e.close();
        for (const s of stores.slice(1)) await s.close();
      });
    });

    describe("fenced lease writes", () => {
      it("refuses every write under a lost lease and changes nothing", async () => {
        const t = await create({ max_attempts: 3 });
        const first = await claimOne();
        clock.advance(30_000);
        expect(await engine.sweep()).toBe(1);
        const second = await claimOne();
        expect(second.task.id).toBe(t.id);
        const before = await snapshot(t.id);
        await expectCode(engine.renew(worker, first.leaseId), "lease_lost");
        await expectCode(
          engine.appendEvents(worker, first.leaseId, [
            { type: "task.log", data: { message: "late" } },
          ]),
          "lease_lost",
        );
        await expectCode(engine.complete(worker, first.leaseId, { late: true }), "lease_lost");
        await expectCode(
          engine.fail(worker, first.leaseId, { error: { message: "late" } }),
          "lease_lost",
        );
        await expectCode(engine.release(worker, first.leaseId), "lease_lost");
        await expectCode(
          engine.setAttemptMeta(worker, first.leaseId, { model: "x" }),
          "lease_lost",
        );
        await expectCode(
          engine.complete(worker, "lse_01JD0000000000000000000000", null),
          "lease_lost",
        );
        expect(await snapshot(t.id)).toEqual(before);
      });

      it("refuses writes once the lease has expired, even before the sweeper runs", async () => {
        await create();
        const lease = await claimOne();
        clock.advance(30_000);
        await expectCode(engine.complete(worker, lease.leaseId, null), "lease_lost");
        await expectCode(engine.renew(worker, lease.leaseId), "lease_lost");
      });

      it("appends events in order and keeps the chain verifiable", async () => {
        const t = await create();
        const lease = await claimOne();
        const out = await engine.appendEvents(worker, lease.leaseId, [
          { type: "task.output", data: { stream: "stdout", text: "hi\n" } },
          { type: "task.progress", data: { current: 2, total: 4, message: "half" } },
        ]);
        expect(out.lastSeq).toBe(4);
        expect((await engine.getTask(tasker, t.id)).progress).toEqual({
          current: 2,
          total: 4,
          message: "half",
        });
        await engine.setAttemptMeta(worker, lease.leaseId, { provider: "anthropic", model: "m1" });
        await engine.complete(worker, lease.leaseId, { ok: true });
        const events = await h.store.readEvents("default", t.id, 0, 100);
        expect(events.map((e) => [e.seq, e.type])).toEqual([
          [1, "task.created"],
          [2, "task.leased"],
          [3, "task.output"],
          [4, "task.progress"],
          [5, "task.succeeded"],
        ]);
        expect(await engine.verifyTask(tasker, t.id)).toMatchObject({ ok: true, checked: 5 });
        const attempts = await engine.listAttempts(tasker, t.id);
        expect(attempts[0]).toMatchObject({
          outcome: "succeeded",
          meta: { provider: "anthropic", model: "m1" },
        });
        expect((await h.store.readEvents("default", t.id, 3, 1)).map((e) => e.seq)).toEqual([4]);
      });
      it("writes a worker's last events together with the outcome, in order", async () => {
        const ok = await create();
        const okLease = await claimOne();
        await engine.complete(worker, okLease.leaseId, { done: true }, [
          { type: "task.output", data: { stream: "stdout", text: "last line\n" } },
          { type: "task.progress", data: { current: 10, total: 10 } },
        ]);
        const okEvents = await h.store.readEvents("default", ok.id, 2, 100);
        expect(okEvents.map((e) => e.type)).toEqual([
          "task.output",
          "task.progress",
          "task.succeeded",
        ]);
        expect((await engine.getTask(tasker, ok.id)).progress).toEqual({ current: 10, total: 10 });
        expect(await engine.verifyTask(tasker, ok.id)).toMatchObject({ ok: true, checked: 5 });

        const bad = await create({ max_attempts: 1 });
        const badLease = await claimOne();
        await engine.fail(worker, badLease.leaseId, {
          error: { message: "exit 2" },
          events: [{ type: "task.output", data: { stream: "stderr", text: "boom\n" } }],
        });
        const badEvents = await h.store.readEvents("default", bad.id, 2, 100);
        expect(badEvents.map((e) => e.type)).toEqual(["task.output", "task.failed"]);
      });

      it("refuses engine-only event types from a worker, changing nothing", async () => {
        const t = await create();
        const lease = await claimOne();
        const before = await snapshot(t.id);
        await expectCode(
          engine.appendEvents(worker, lease.leaseId, [{ type: "task.succeeded", data: {} }]),
          "validation_failed",
        );
        await expectCode(
          engine.complete(worker, lease.leaseId, 1, [{ type: "task.canceled", data: {} }]),
          "validation_failed",
        );
        expect(await snapshot(t.id)).toEqual(before);
      });
    });

    describe("lease expiry and renewals", () => {
      it("requeues an expired lease with the attempt counted, then fails when attempts are used up", async () => {
        const t = await create({ max_attempts: 2 });
        await claimOne();
        clock.advance(29_999);
        expect(await engine.sweep()).toBe(0);
        clock.advance(1);
        expect(await engine.sweep()).toBe(1);
        let now = await engine.getTask(tasker, t.id);
        expect(now).toMatchObject({ state: "queued", attempts: 1, lease: null });
        await claimOne();
        clock.advance(30_000);
        expect(await engine.sweep()).toBe(1);
        now = await engine.getTask(tasker, t.id);
        expect(now).toMatchObject({ state: "failed", attempts: 2 });
        expect(now.error).toMatchObject({ code: "lease_expired" });
        const attempts = await engine.listAttempts(tasker, t.id);
        expect(attempts.map((a) => a.outcome)).toEqual(["expired", "expired"]);
        const types = (await h.store.readEvents("default", t.id, 0, 100)).map((e) => e.type);
        expect(types).toEqual([
          "task.created",
          "task.leased",
          "task.lease_expired",
          "task.retry_scheduled",
          "task.leased",
          "task.lease_expired",
          "task.failed",
        ]);
        expect(await engine.verifyTask(tasker, t.id)).toMatchObject({ ok: true });
      });

      it("renews up to the renewal cap", async () => {
        await create({ max_renewals: 2, lease_ttl_ms: 10_000 });
        const lease = await claimOne();
        clock.advance(5_000);
        expect((await engine.renew(worker, lease.leaseId)).expiresAt).toBe(clock.now() + 10_000);
        clock.advance(5_000);
        await engine.renew(worker, lease.leaseId);
        clock.advance(5_000);
        const err = await expectCode(engine.renew(worker, lease.leaseId), "lease_limit_reached");
        expect(err.details).toMatchObject({ reason: "max_renewals" });
        // The lease stays good until it expires: the worker can still finish.
        expect((await engine.complete(worker, lease.leaseId, 1)).state).toBe("succeeded");
      });

      it("never renews past the lifetime cap", async () => {
        await create({ lease_ttl_ms: 10_000, timeout_ms: 25_000 });
        const lease = await claimOne();
        const acquired = clock.now();
        clock.advance(8_000);
        expect((await engine.renew(worker, lease.leaseId)).expiresAt).toBe(acquired + 18_000);
        clock.advance(8_000);
        expect((await engine.renew(worker, lease.leaseId)).expiresAt).toBe(acquired + 25_000);
        clock.advance(1_000);
        const err = await expectCode(engine.renew(worker, lease.leaseId), "lease_limit_reached");
        expect(err.details).toMatchObject({ reason: "max_lifetime" });
        clock.advance(8_000);
        expect(await engine.sweep()).toBe(1);
      });
    });

    describe("failures and retries", () => {
      it("schedules retries on the backoff schedule, then fails for good", async () => {
        const t = await create({ max_attempts: 3, backoff_base_ms: 1_000, backoff_max_ms: 3_000 });
        random = 0.25;
        const delays: number[] = [];
        for (let attempt = 1; attempt <= 2; attempt++) {
          const lease = await claimOne();
          const failedAt = clock.now();
          const after = await engine.fail(worker, lease.leaseId, {
            error: { message: `boom ${attempt}` },
          });
          expect(after.state).toBe("queued");
          delays.push(after.runAt - failedAt);
          expect(await engine.claim(worker, { worker_id: workerId })).toHaveLength(0);
          clock.advance(after.runAt - failedAt);
        }
        expect(delays).toEqual([
          backoffDelay(1, { baseMs: 1_000, maxMs: 3_000 }, () => 0.25),
          backoffDelay(2, { baseMs: 1_000, maxMs: 3_000 }, () => 0.25),
        ]);
        expect(delays).toEqual([625, 1_250]);
        const last = await claimOne();
        const final = await engine.fail(worker, last.leaseId, {
          error: { message: "boom 3", code: "E3" },
        });
        expect(final).toMatchObject({
          state: "failed",
          attempts: 3,
          error: { message: "boom 3", code: "E3" },
        });
        expect((await engine.listAttempts(tasker, t.id)).map((a) => a.outcome)).toEqual([
          "failed",
          "failed",
          "failed",
        ]);
      });

      it("fails at once when the failure is not retryable", async () => {
        await create({ max_attempts: 5 });
        const lease = await claimOne();
        const t = await engine.fail(worker, lease.leaseId, {
          error: { message: "bad input" },
          retryable: false,
        });
        expect(t).toMatchObject({ state: "failed", attempts: 1 });
      });

      it("release puts the task back at once without counting the attempt", async () => {
        const t = await create({ max_attempts: 1 });
        const lease = await claimOne();
        const back = await engine.release(worker, lease.leaseId, "shutting down");
        expect(back).toMatchObject({ state: "queued", attempts: 0, lease: null });
        const again = await claimOne();
        expect(again.task).toMatchObject({ id: t.id, attempts: 1 });
        expect((await engine.listAttempts(tasker, t.id)).map((a) => a.outcome)).toEqual([
          "released",
          null,
        ]);
      });
    });

    describe("cancel", () => {
      it("cancels a queued task at once", async () => {
        const t = await create();
        const c = await engine.cancelTask(tasker, t.id, "not needed");
        expect(c).toMatchObject({ state: "canceled", error: { code: "canceled" } });
        expect(await engine.claim(worker, { worker_id: workerId })).toHaveLength(0);
        expect((await engine.cancelTask(tasker, t.id)).state).toBe("canceled");
      });

      it("cancels a running task; the worker learns it on renew and every later write is refused", async () => {
        const t = await create();
        const lease = await claimOne();
        const c = await engine.cancelTask(tasker, t.id, "stop");
        expect(c.state).toBe("canceled");
        const renewed = await engine.renew(worker, lease.leaseId);
        expect(renewed.cancelRequested).toBe(true);
        const before = await snapshot(t.id);
        await expectCode(
          engine.appendEvents(worker, lease.leaseId, [
            { type: "task.log", data: { message: "x" } },
          ]),
          "lease_lost",
        );
        await expectCode(engine.complete(worker, lease.leaseId, 1), "lease_lost");
        await expectCode(
          engine.fail(worker, lease.leaseId, { error: { message: "x" } }),
          "lease_lost",
        );
        await expectCode(engine.release(worker, lease.leaseId), "lease_lost");
        expect(await snapshot(t.id)).toEqual(before);
        const types = before.events.map((e) => e.type);
        expect(types.slice(-2)).toEqual(["task.cancel_requested", "task.canceled"]);
        expect(before.attempts.map((a) => a.outcome)).toEqual(["canceled"]);
        clock.advance(60_000);
        expect(await engine.sweep()).toBe(0);
        expect((await engine.getTask(tasker, t.id)).state).toBe("canceled");
      });
    });

    describe("state machine", () => {
      async function taskIn(state: Task["state"]): Promise<{ task: Task; leaseId: string | null }> {
        const task = await create({ max_attempts: 1 });
        if (state === "queued") return { task, leaseId: null };
        if (state === "canceled")
          return { task: await engine.cancelTask(tasker, task.id), leaseId: null };
        const lease = await engine.claim(worker, { worker_id: workerId, max: 1 });
        const leaseId = lease[0]!.leaseId;
        if (state === "running") return { task: lease[0]!.task, leaseId };
        if (state === "succeeded")
          return { task: await engine.complete(worker, leaseId, 1), leaseId };
        return {
          task: await engine.fail(worker, leaseId, { error: { message: "x" }, retryable: false }),
          leaseId,
        };
      }

      const ops = {
        claim: async () =>
          (await engine.claim(worker, { worker_id: workerId, max: 10 })).length > 0,
        cancel: async (t: Task) => (await engine.cancelTask(tasker, t.id)).state === "canceled",
        complete: async (_t: Task, leaseId: string | null) =>
          (await engine.complete(worker, leaseId ?? "lse_01JD0000000000000000000000", 1)).state ===
          "succeeded",
        fail: async (_t: Task, leaseId: string | null) =>
          (
            await engine.fail(worker, leaseId ?? "lse_01JD0000000000000000000000", {
              error: { message: "x" },
              retryable: false,
            })
          ).state === "failed",
        release: async (_t: Task, leaseId: string | null) =>
          (await engine.release(worker, leaseId ?? "lse_01JD0000000000000000000000")).state ===
          "queued",
      };
      const expected: Record<Task["state"], Record<keyof typeof ops, string | true>> = {
        queued: {
          claim: true,
          cancel: true,
          complete: "lease_lost",
          fail: "lease_lost",
          release: "lease_lost",
        },
        running: { claim: false as never, cancel: true, complete: true, fail: true, release: true },
        succeeded: {
          claim: false as never,
          cancel: "task_terminal",
          complete: "lease_lost",
          fail: "lease_lost",
          release: "lease_lost",
        },
        failed: {
          claim: false as never,
          cancel: "task_terminal",
          complete: "lease_lost",
          fail: "lease_lost",
          release: "lease_lost",
        },
        canceled: {
          claim: false as never,
          cancel: true,
          complete: "lease_lost",
          fail: "lease_lost",
          release: "lease_lost",
        },
      };

      for (const state of ["queued", "running", "succeeded", "failed", "canceled"] as const) {
        for (const op of Object.keys(ops) as (keyof typeof ops)[]) {
          it(`${op} on a ${state} task: ${String(expected[state][op])}`, async () => {
            const { task, leaseId } = await taskIn(state);
            const want = expected[state][op];
            if (want === true) {
              expect(await ops[op](task, leaseId)).toBe(true);
            } else if (want === (false as never)) {
              expect(await ops[op](task, leaseId)).toBe(false);
              expect((await engine.getTask(tasker, task.id)).state).toBe(state);
            } else {
              const before = await snapshot(task.id);
              await expectCode(ops[op](task, leaseId), want);
              expect(await snapshot(task.id)).toEqual(before);
            }
          });
        }
      }

      it("terminal states never change again, and the sweeper leaves them alone", async () => {
        for (const state of ["succeeded", "failed", "canceled"] as const) {
          const { task, leaseId } = await taskIn(state);
          const before = await snapshot(task.id);
          clock.advance(3_600_000);
          await engine.sweep();
          if (leaseId) await engine.renew(worker, leaseId).catch(() => undefined);
          await engine.cancelTask(tasker, task.id).catch(() => undefined);
          expect(await snapshot(task.id)).toEqual(before);
        }
      });
    });

    describe("event log reads", () => {
      it("reads the tenant's state events in order after a position", async () => {
        const start = await h.store.lastTenantEventId("default");
        const t = await create();
        const lease = await claimOne();
        await engine.appendEvents(worker, lease.leaseId, [
          { type: "task.output", data: { stream: "stdout", text: "x" } },
        ]);
        await engine.complete(worker, lease.leaseId, null);
        await create({}, otherTenant);
        const events = await h.store.readTenantEvents(
          "default",
          start,
          100,
          Engine.tenantStreamTypes,
        );
        expect(events.map((e) => [e.taskId, e.type])).toEqual([
          [t.id, "task.created"],
          [t.id, "task.leased"],
          [t.id, "task.succeeded"],
        ]);
        expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true);
        const rest = await h.store.readTenantEvents(
          "default",
          events[0]!.id,
          100,
          Engine.tenantStreamTypes,
        );
        expect(rest).toHaveLength(2);
      });
    });

    describe("receipts and obligations", () => {
      it("lists open tasks and unacknowledged receipts of their creator until acknowledged", async () => {
        const done = await create();
        const open = await create();
        const lease = await engine.claim(worker, { worker_id: workerId, max: 1 });
        expect(lease[0]!.task.id).toBe(done.id);
        await engine.complete(worker, lease[0]!.leaseId, { answer: 42 });
        const obligations = await engine.openObligations(tasker);
        expect(obligations.tasks.map((t) => t.id)).toEqual([open.id]);
        expect(obligations.receipts.map((r) => r.task_id)).toEqual([done.id]);
        expect(obligations.receipts[0]!.statement).toMatchObject({
          state: "succeeded",
          task_id: done.id,
        });
        const other: Principal = { ...tasker, id: "key_someone_else" };
        await expectCode(engine.ackReceipt(other, done.id), "receipt_not_found");
        await expectCode(engine.ackReceipt(tasker, open.id), "receipt_not_found");
        const acked = await engine.ackReceipt(tasker, done.id);
        expect(acked.acked_at).not.toBeNull();
        expect((await engine.openObligations(tasker)).receipts).toHaveLength(0);
        expect((await engine.listReceipts(tasker, {})).items.map((r) => r.id)).toEqual([done.id]);
      });
    });
  });
}
