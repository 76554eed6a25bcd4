/** `errand receipt ID [--verify]`: a task's signed receipt, checked against the server's JWKS. */
import type { Command } from "commander";
import { compactVerify, importJWK, type JWK } from "jose";
import type { Errand, Receipt } from "@errand/client";
import { EXIT, action, clientFrom, clientOptions, printJson, type ClientFlags } from "./common.js";

export interface ReceiptCheck {
  readonly valid: boolean;
  readonly reason?: string;
  readonly kid?: string;
}

/** Verifies the receipt's JWS with the key of its `kid` from `/.well-known/jwks.json`. */
export async function verifyReceipt(errand: Errand, receipt: Receipt): Promise<ReceiptCheck> {
  const jwks = await errand.jwks();
  const header = JSON.parse(
    Buffer.from(receipt.jws.split(".")[0] ?? "", "base64url").toString("utf8"),
  ) as {
    kid?: string;
    alg?: string;
  };
  const jwk = jwks.keys.find((k) => k.kid === header.kid) as JWK | undefined;
  if (!jwk) return { valid: false, reason: `no published key ${header.kid ?? "(none)"}` };
  try {
    const key = await importJWK(jwk, header.alg ?? "EdDSA");
    const { payload } = await compactVerify(receipt.jws, key);
    const signed = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (JSON.stringify(sortKeys(signed)) !== JSON.stringify(sortKeys(receipt.statement))) {
      return {
        valid: false,
        reason: "the signed statement differs from the one shown",
        kid: header.kid!,
      };
    }
    return { valid: true, kid: header.kid! };
  } catch (err) {
    return {
      valid: false,
      reason: err instanceof Error ? err.message : String(err),
      kid: header.kid!,
    };
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function registerReceipt(program: Command): void {
  const receipt = program
    .command("receipt")
    .description("Show a task's signed receipt; --verify checks its signature")
    .argument("<id>", "task id")
    .option(
      "--verify",
      "verify the JWS against the server's /.well-known/jwks.json (exit 1 if invalid)",
    );
  clientOptions(receipt, { json: true }).action(
    action(async (id: string, flags: ClientFlags & { verify?: boolean }) => {
      const errand = clientFrom(flags);
      const r = await errand.getReceipt(id);
      const check = flags.verify ? await verifyReceipt(errand, r) : null;
      if (flags.json) {
        printJson(check ? { ...r, verification: check } : r);
      } else {
        const s = r.statement;
        const lines = [
          ["receipt", r.id],
          ["state", r.state],
          ["kind", s.kind],
          ["attempts", String(s.attempts)],
          ["events", `${s.event_count} (head ${s.chain_head})`],
          ["input sha256", s.input_sha256],
          ["result sha256", s.result_sha256 ?? "-"],
          ["issuer", s.iss],
          ["key", r.kid],
          ["acked", r.acked_at ?? "no"],
        ];
        if (check) lines.push(["signature", check.valid ? "valid" : `INVALID: ${check.reason}`]);
        process.stdout.write(lines.map(([k, v]) => `${k!.padEnd(13)} ${v}`).join("\n") + "\n");
        if (!flags.verify) process.stdout.write(`jws           ${r.jws}\n`);
      }
      return check && !check.valid ? EXIT.error : EXIT.ok;
    }),
  );
}
