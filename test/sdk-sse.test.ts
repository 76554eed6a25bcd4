import { describe, expect, it } from "vitest";
import {
  ErrandApiError,
  LeaseLostError,
  NotFoundError,
  SseParser,
  UnavailableError,
  describeFailure,
  errorFromResponse,
  TaskFailure,
} from "@errand/client";

const STREAM =
  ': keep-alive\n\nid: 1\nevent: task.created\ndata: {"seq":1}\n\n' +
  "id: 2\r\nevent: task.output\r\ndata: line one\r\ndata: line two\r\n\r\n" +
  'retry: 500\nid: 3\ndata:{"seq":3}\n\n';

describe("SseParser", () => {
  it("parses events, comments, CRLF and multi-line data", () => {
    const parser = new SseParser();
    const messages = parser.feed(STREAM);
    expect(messages).toEqual([
      { id: "1", event: "task.created", data: '{"seq":1}' },
      { id: "2", event: "task.output", data: "line one\nline two" },
      { id: "3", event: "message", data: '{"seq":3}' },
    ]);
    expect(parser.retryMs).toBe(500);
    expect(parser.lastEventId).toBe("3");
  });

  it("gives the same messages whatever the chunk boundaries", () => {
    const whole = new SseParser().feed(STREAM);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const out = [];
      for (let i = 0; i < STREAM.length; i += size)
        out.push(...parser.feed(STREAM.slice(i, i + size)));
      expect(out).toEqual(whole);
    }
  });

  it("treats a CR at the end of a chunk and an LF at the start of the next as one line end", () => {
    const parser = new SseParser();
    expect(parser.feed("data: a\r")).toEqual([]);
    expect(parser.feed("\n\r")).toEqual([{ id: "", event: "message", data: "a" }]);
    expect(parser.feed("\ndata: b\n\n")).toEqual([{ id: "", event: "message", data: "b" }]);
  });

  it("ignores a leading byte order mark and events without data", () => {
    const parser = new SseParser();
    expect(parser.feed("\ufeffevent: x\n\ndata: y\n\n")).toEqual([
      { id: "", event: "message", data: "y" },
    ]);
  });
});

describe("typed errors", () => {
  it("rebuilds the class from the wire code", () => {
    const body = JSON.stringify({
      statusCode: 409,
      code: "lease_lost",
      error: "Conflict",
      message: "lease gone",
      details: { lease_id: "lse_1" },
    });
    const err = errorFromResponse(409, body);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(err).toBeInstanceOf(ErrandApiError);
    expect([err.code, err.status, err.message, err.details]).toEqual([
      "lease_lost",
      409,
      "lease gone",
      { lease_id: "lse_1" },
    ]);
    expect(errorFromResponse(404, '{"code":"task_not_found","message":"no"}')).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("falls back on the status when the body is not an envelope", () => {
    const err = errorFromResponse(503, "<html>bad gateway</html>");
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.code).toBe("unavailable");
  });

  it("keeps unknown codes as ErrandApiError", () => {
    const err = errorFromResponse(418, '{"code":"teapot","message":"short and stout"}');
    expect(err.constructor).toBe(ErrandApiError);
    expect(err.code).toBe("teapot");
  });

  it("maps handler errors to the fail request", () => {
    expect(describeFailure(new TaskFailure("nope", { retryable: false, code: "x" }))).toEqual({
      error: { message: "nope", code: "x" },
      retryable: false,
    });
    expect(describeFailure(new Error("boom"))).toEqual({
      error: { message: "boom" },
      retryable: true,
    });
    expect(describeFailure("text")).toEqual({ error: { message: "text" }, retryable: true });
  });
});
