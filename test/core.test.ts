import { describe, expect, it } from "vitest";
import {
  ChainVerifier,
  GENESIS_HASH,
  allTransitions,
  backoffCeiling,
  backoffDelay,
  canTransition,
  canonicalJson,
  chainHash,
  decideRenewal,
  isId,
  isTerminal,
  newId,
  sha256Hex,
  targetState,
  TASK_STATES,
} from "../src/core/index.js";

describe("task states", () => {
  it("allows transitions only from their source states, and none out of terminal states", () => {
    for (const state of TASK_STATES) {
      for (const t of allTransitions()) {
        const allowed = canTransition(state, t);
        if (isTerminal(state)) expect(allowed).toBe(false);
      }
    }
    expect(canTransition("queued", "claim")).toBe(true);
    expect(canTransition("running", "claim")).toBe(false);
    expect(canTransition("queued", "cancel")).toBe(true);
    expect(canTransition("running", "cancel")).toBe(true);
    expect(canTransition("queued", "complete")).toBe(false);
    expect(targetState("fail_retry")).toBe("queued");
    expect(targetState("expire_final")).toBe("failed");
  });
});

describe("backoff", () => {
  it("doubles from the base and stops at the cap", () => {
    const policy = { baseMs: 1_000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, policy))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
    expect(backoffCeiling(10_000, policy)).toBe(10_000);
  });

  it("keeps the jittered delay between half the ceiling and the ceiling", () => {
    const policy = { baseMs: 1_000, maxMs: 60_000 };
    expect(backoffDelay(3, policy, () => 0)).toBe(2_000);
    expect(backoffDelay(3, policy, () => 0.999999)).toBe(4_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });
});

describe("lease renewal", () => {
  const limits = { leaseTtlMs: 10_000, maxRenewals: 3, timeoutMs: 25_000 };
  const lease = { id: "l", workerId: "w", acquiredAt: 0, expiresAt: 10_000, renewals: 0 };
  it("extends by the TTL but never past the lifetime cap", () => {
    expect(decideRenewal(lease, 5_000, limits)).toEqual({ ok: true, expiresAt: 15_000 });
    expect(decideRenewal({ ...lease, expiresAt: 20_000 }, 19_000, limits)).toEqual({
      ok: true,
      expiresAt: 25_000,
    });
    expect(decideRenewal({ ...lease, expiresAt: 25_000 }, 24_000, limits)).toEqual({
      ok: false,
      reason: "max_lifetime",
    });
    expect(decideRenewal({ ...lease, renewals: 3 }, 1_000, limits)).toEqual({
      ok: false,
      reason: "max_renewals",
    });
  });
});

describe("hash chain", () => {
  it("canonicalizes JSON per RFC 8785", () => {
    // RFC 8785 section 3.2.2: keys sorted by UTF-16 code units, ECMAScript number forms.
    expect(canonicalJson({ b: 1, a: [1e21, 1.5, -0, "é"], "€": null, "\r": true })).toBe(
      '{"\\r":true,"a":[1e+21,1.5,0,"é"],"b":1,"€":null}',
    );
  });

  it("links each event to the one before, starting from 64 zeros", () => {
    const link = {
      taskId: "tsk_1",
      seq: 1,
      type: "task.created",
      at: Date.UTC(2026, 0, 1),
      data: { x: 1 },
    };
    const expected = sha256Hex(
      `${"0".repeat(64)}\n{"at":"2026-01-01T00:00:00.000Z","data":{"x":1},"seq":1,"task_id":"tsk_1","type":"task.created"}`,
    );
    expect(chainHash(GENESIS_HASH, link)).toBe(expected);
  });

  it("hashes exactly the RFC 8785 form of the whole link, whatever the strings hold", () => {
    for (const taskId of ["tsk_1", 'q"uote\\', "é€😀\u2028", "\u0000\u001f"]) {
      for (const type of ["task.log", "ü\n"]) {
        const link = {
          taskId,
          seq: 42,
          type,
          at: 1_790_000_000_123,
          data: { z: [1, "é"], a: null },
        };
        const full = canonicalJson({
          task_id: taskId,
          seq: 42,
          type,
          at: new Date(link.at).toISOString(),
          data: link.data,
        });
        expect(chainHash("ab".repeat(32), link)).toBe(sha256Hex(`${"ab".repeat(32)}\n${full}`));
      }
    }
  });

  it("names the first event that does not match", () => {
    const links = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 5; seq++) {
      const l = { taskId: "t", seq, type: "task.log", at: seq, data: { seq } };
      prev = chainHash(prev, l);
      links.push({ ...l, hash: prev });
    }
    const ok = new ChainVerifier();
    for (const l of links) ok.push(l);
    expect(ok.finish(prev, 5)).toEqual({ ok: true, checked: 5, headHash: prev });

    const tampered = new ChainVerifier();
    for (const l of links) tampered.push(l.seq === 3 ? { ...l, data: { seq: 99 } } : l);
    expect(tampered.finish(prev, 5)).toMatchObject({
      ok: false,
      badSeq: 3,
      reason: "hash_mismatch",
    });

    const gap = new ChainVerifier();
    for (const l of links) if (l.seq !== 2) gap.push(l);
    expect(gap.finish(prev, 5)).toMatchObject({ ok: false, badSeq: 2, reason: "seq_gap" });

    const truncated = new ChainVerifier();
    for (const l of links.slice(0, 4)) truncated.push(l);
    expect(truncated.finish(prev, 5)).toMatchObject({ ok: false, reason: "head_mismatch" });
  });
});

describe("ids", () => {
  it("are prefixed, well-formed and sort by creation", () => {
    const ids = Array.from({ length: 1000 }, () => newId("task", 1_700_000_000_000));
    expect(ids.every((id) => isId("task", id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(isId("task", "tsk_short")).toBe(false);
    expect(isId("lease", ids[0])).toBe(false);
    expect(isId("task", "tsk_01JD0000000000000000000000; DROP")).toBe(false);
  });
});
