/** `GET /metrics`: Prometheus text, public by default, admin-only when private, absent when off. */
import { afterEach, describe, expect, it } from "vitest";
import { makeHarness, type Harness } from "./http-harness.js";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("metrics", () => {
  it("counts requests by route and status and tasks by state, without a credential", async () => {
    h = await makeHarness();
    await h.app.inject({
      method: "POST",
      url: "/v1/tasks",
      headers: h.auth("tasker"),
      payload: { kind: "demo" },
    });
    await h.app.inject({ method: "GET", url: "/v1/tasks/nope", headers: h.auth("tasker") });
    const res = await h.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /errand_http_requests_total\{method="POST",route="\/v1\/tasks",status="201"\} 1/,
    );
    expect(res.body).toMatch(
      /errand_http_requests_total\{method="GET",route="\/v1\/tasks\/:id",status="400"\} 1/,
    );
    expect(res.body).toMatch(/errand_tasks\{state="queued"\} 1/);
    expect(res.body).toMatch(/errand_tasks\{state="running"\} 0/);
    expect(res.body).toContain("errand_open_streams 0");
    expect(res.body).toContain("errand_process_cpu_user_seconds_total");
  });

  it("asks for an admin key when private, and is gone when off", async () => {
    h = await makeHarness({ config: { metrics: "private" } });
    expect((await h.app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    expect(
      (await h.app.inject({ method: "GET", url: "/metrics", headers: h.auth("tasker") }))
        .statusCode,
    ).toBe(403);
    expect(
      (await h.app.inject({ method: "GET", url: "/metrics", headers: h.auth("admin") })).statusCode,
    ).toBe(200);
    await h.close();

    h = await makeHarness({ config: { metrics: "off" } });
    const off = await h.app.inject({ method: "GET", url: "/metrics" });
    expect(off.statusCode).toBe(404);
    expect(JSON.parse(off.body).code).toBe("route_not_found");
  });
});
