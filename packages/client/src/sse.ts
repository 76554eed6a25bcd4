/**
 * A small Server-Sent Events parser (WHATWG HTML "Parsing an event stream"): lines end in CRLF,
 * LF or CR; `data:` lines join with "\n"; a blank line dispatches; lines starting with ":" are
 * comments (keep-alives); `id:` persists across messages as the last event id.
 */

export interface SseMessage {
  /** The last event id in force when this message was dispatched ("" when none). */
  readonly id: string;
  /** The `event:` field, or "message". */
  readonly event: string;
  readonly data: string;
}

/**
 * @example
 * const parser = new SseParser();
 * for (const message of parser.feed(chunkText)) console.log(message.id, message.event, message.data);
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #lastId = "";
  /** A chunk that ended in CR: a following LF belongs to the same line end. */
  #skipLf = false;
  #started = false;
  /** The `retry:` field the server sent, if any (ms). */
  retryMs: number | null = null;

  get lastEventId(): string {
    return this.#lastId;
  }

  /**
   * Feeds decoded text; returns the messages completed by it.
   *
   * @example
   * const parser = new SseParser();
   * parser.feed("id: 1\nevent: task.created\ndata: {}\n\n"); // [{ id: "1", event: "task.created", data: "{}" }]
   */
  feed(text: string): SseMessage[] {
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#skipLf && text.startsWith("\n")) text = text.slice(1);
    this.#skipLf = false;
    this.#buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    const buf = this.#buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#skipLf = true;
        }
      }
      start = i + 1;
    }
    this.#buffer = buf.slice(start);
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        out.push({
          id: this.#lastId,
          event: this.#event || "message",
          data: this.#data.join("\n"),
        });
      }
      this.#data = [];
      this.#event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.#data.push(value);
        break;
      case "event":
        this.#event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }
}
