/** `insecure: true` lets requests without a credential act as admin of tenant default; it is off by default. */
import { afterEach, describe, expect, it } from "vitest";
import { makeHarness, type Harness } from "./http-harness.js";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("insecure mode", () => {
  it("is off by default", async () => {
    h = await makeHarness();
    const res = await h.app.inject({ method: "POST", url: "/v1/tasks", payload: { kind: "demo" } });
    expect(res.statusCode).toBe(401);
  });

  it("treats a request without a credential as admin of tenant default, but still checks one that is sent", async () => {
    h = await makeHarness({ config: { insecure: true } });
    const created = await h.app.inject({
      method: "POST",
      url: "/v1/tasks",
      payload: { kind: "demo" },
    });
    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ created_by: "insecure" });
    const keys = await h.app.inject({ method: "GET", url: "/v1/keys" });
    expect(keys.statusCode).toBe(200);
    const config = await h.app.inject({ method: "GET", url: "/v1/config" });
    expect(JSON.parse(config.body)).toMatchObject({
      insecure: true,
      principal: { via: "insecure" },
    });

    const bad = await h.app.inject({
      method: "GET",
      url: "/v1/tasks",
      headers: { authorization: "Bearer nope" },
    });
    expect(bad.statusCode).toBe(401);
    const scoped = await h.app.inject({
      method: "GET",
      url: "/v1/keys",
      headers: h.auth("tasker"),
    });
    expect(scoped.statusCode).toBe(403);
  });
});
