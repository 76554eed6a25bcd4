import { describe, expect, it } from "vitest";
import { ErrandError } from "../src/core/index.js";
import { createTaskSchema, listTasksSchema, parseRequest } from "../src/engine/index.js";

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ErrandError ? err.code : "not an ErrandError";
  }
}

describe("request schemas", () => {
  it("take label keys every store can filter on, and refuse the rest", () => {
    const ok = { kind: "k", labels: { team: "a", "app.kubernetes.io/name": "x", "a:b_c-d": "" } };
    expect(parseRequest(createTaskSchema, ok).labels).toEqual(ok.labels);
    for (const key of ['a"b', "a b", "", "é", "a[0]", "x".repeat(129)]) {
      expect(
        code(() => parseRequest(createTaskSchema, { kind: "k", labels: { [key]: "v" } })),
      ).toBe("validation_failed");
    }
    expect(parseRequest(listTasksSchema, { label: "app.kubernetes.io/name=x=y" }).label).toBe(
      "app.kubernetes.io/name=x=y",
    );
    expect(code(() => parseRequest(listTasksSchema, { label: 'a"b=1' }))).toBe("validation_failed");
  });

  it("names the field of each problem", () => {
    try {
      parseRequest(createTaskSchema, { kind: "", priority: 1.5, extra: 1 });
      throw new Error("accepted");
    } catch (err) {
      const issues = (err as ErrandError).details as { issues: { path: string }[] };
      const paths = issues.issues.map((i) => i.path);
      expect(paths).toContain("body.kind");
      expect(paths).toContain("body.priority");
    }
  });
});
