/** `errand receipt --verify`: the JWS against the server's JWKS, and the statement shown. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errand, type Receipt } from "@errand/client";
import { verifyReceipt } from "../src/cli/commands/receipt.js";
import { resolveServerConfig } from "../src/server/config.js";
import { startServer, type RunningServer } from "../src/server/start.js";

let dir: string;
let server: RunningServer;
let errand: Errand;
let receipt: Receipt;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-cli-receipt-"));
  server = await startServer(
    resolveServerConfig({ port: 0, dataDir: join(dir, "data"), logLevel: "silent" }, {}),
    { notice: () => {} },
  );
  errand = new Errand({ url: server.url, key: readFileSync(server.adminKeyPath, "utf8").trim() });
  const task = await errand.createTask({ kind: "mock", input: { steps: 1, interval_ms: 0 } });
  await errand.waitForTask(task.id);
  receipt = await errand.getReceipt(task.id);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("receipt verification", () => {
  it("accepts the server's receipt", async () => {
    expect(await verifyReceipt(errand, receipt)).toEqual({ valid: true, kid: receipt.kid });
  });

  it("rejects a statement that differs from the signed one", async () => {
    const edited = { ...receipt, statement: { ...receipt.statement, state: "failed" as const } };
    const check = await verifyReceipt(errand, edited);
    expect(check.valid).toBe(false);
    expect(check.reason).toContain("differs");
  });

  it("rejects a signature that does not match", async () => {
    const [header, payload, signature] = receipt.jws.split(".");
    const flipped = signature!.startsWith("A")
      ? `B${signature!.slice(1)}`
      : `A${signature!.slice(1)}`;
    const check = await verifyReceipt(errand, {
      ...receipt,
      jws: `${header}.${payload}.${flipped}`,
    });
    expect(check.valid).toBe(false);
  });

  it("rejects a key id the server does not publish", async () => {
    const [, payload, signature] = receipt.jws.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "EdDSA", kid: "unknown" })).toString(
      "base64url",
    );
    const check = await verifyReceipt(errand, {
      ...receipt,
      jws: `${header}.${payload}.${signature}`,
    });
    expect(check).toMatchObject({ valid: false, reason: "no published key unknown" });
  });
});
