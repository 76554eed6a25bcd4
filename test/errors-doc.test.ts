/** docs/errors.md lists exactly the codes of the registry, with the same status and meaning. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/core/index.js";

const ROW = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|\s*$/;

function documentedCodes(): Record<string, { status: number; meaning: string }> {
  const text = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
  const section = text.split(/^## Codes$/m)[1]?.split(/^## /m)[0] ?? "";
  const out: Record<string, { status: number; meaning: string }> = {};
  for (const line of section.split("\n")) {
    const match = ROW.exec(line);
    if (!match) continue;
    expect(out, `docs/errors.md lists ${match[1]} twice`).not.toHaveProperty(match[1]!);
    out[match[1]!] = { status: Number(match[2]), meaning: match[3]! };
  }
  return out;
}

describe("docs/errors.md", () => {
  it("has one row per registry code, with its HTTP status and meaning", () => {
    const documented = documentedCodes();
    const registry = Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => [code, { status, meaning }]),
    );
    expect(Object.keys(documented).sort()).toEqual(Object.keys(registry).sort());
    expect(documented).toEqual(registry);
  });
});
