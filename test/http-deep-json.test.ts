/**
 * JSON nested past MAX_JSON_DEPTH is refused with `validation_failed`, whichever field carries
 * it and whichever interface sends it; it never reaches the canonicalizer (whose recursion a few
 * thousand levels would exhaust) and leaves the store unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrandError } from "../src/core/index.js";
import { MAX_JSON_DEPTH, isWithinDepth } from "../src/engine/index.js";
import { makeHarness, snapshot, type Harness } from "./http-harness.js";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("deeply nested JSON", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("measures depth without recursion", () => {
    expect(isWithinDepth(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(true);
    expect(isWithinDepth(JSON.parse(nested(MAX_JSON_DEPTH + 1)))).toBe(false);
    expect(isWithinDepth(JSON.parse(nested(100_000)))).toBe(false);
    expect(isWithinDepth({ a: [{ b: 1 }], c: "x" }, 3)).toBe(true);
    expect(isWithinDepth({ a: [{ b: {} }] }, 3)).toBe(false);
  });

  it("refuses a task input nested past the limit with 422, storing nothing", async () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 5_000, 100_000]) {
      const before = snapshot(h.dbPath);
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/tasks",
        headers: { ...h.auth("tasker"), "content-type": "application/json" },
        payload: `{"kind":"x","input":${nested(depth)}}`,
      });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: "validation_failed" });
      expect(snapshot(h.dbPath)).toEqual(before);
    }
    const ok = await h.app.inject({
      method: "POST",
      url: "/v1/tasks",
      headers: { ...h.auth("tasker"), "content-type": "application/json" },
      payload: `{"kind":"x","input":${nested(MAX_JSON_DEPTH)}}`,
    });
    expect(ok.statusCode).toBe(201);
  });

  it("refuses deep results and event data from a worker, through the engine too", async () => {
    const { task } = await h.engine.createTask(h.admin, { kind: "x" });
    const w = await h.engine.announceWorker(h.admin, { name: "w", kinds: ["x"] });
    const [lease] = await h.engine.claim(h.admin, { worker_id: w.id });
    const deep = JSON.parse(nested(5_000));
    const before = snapshot(h.dbPath);
    for (const attempt of [
      () => h.engine.complete(h.admin, lease!.leaseId, deep),
      () => h.engine.appendEvents(h.admin, lease!.leaseId, [{ type: "task.log", data: deep }]),
      () => h.engine.fail(h.admin, lease!.leaseId, { error: { message: "x", details: deep } }),
      () => h.engine.setAttemptMeta(h.admin, lease!.leaseId, { deep }),
      () => h.engine.createTask(h.admin, { kind: "x", input: deep }),
    ]) {
      await expect(attempt()).rejects.toSatisfy(
        (err) => err instanceof ErrandError && err.code === "validation_failed",
      );
    }
    expect(snapshot(h.dbPath)).toEqual(before);
    expect((await h.engine.getTask(h.admin, task.id)).state).toBe("running");
  });
});
