/**
 * The `agent` adapter: runs a coding-agent CLI and turns its JSON-lines stdout into events.
 *
 * Input:
 * - `prompt` (string, required unless `argv` is given);
 * - `profile`: `claude-code` (default) or `jsonl`;
 * - `argv`: the command to run (default for `claude-code`:
 *   `claude -p PROMPT --output-format stream-json --verbose [--model MODEL]`; the worker's
 *   `agentCommand` option replaces `claude`); for `jsonl` `argv` is required;
 * - `model`, `cwd`, `env`, `timeout_ms`, `output_limit_bytes`, as for `shell`.
 *
 * `claude-code` profile (Claude Code's `--output-format stream-json`):
 * - `{type:"system", subtype:"init", model, session_id, tools}` → attempt meta
 *   `{provider:"anthropic", agent:"claude-code", model, session_id}` and a `task.log`;
 * - `{type:"assistant", message:{content:[…]}}`: each `text` block → `task.output` (stdout),
 *   each `tool_use` block → `task.log` `{level:"info", message:"tool_use NAME {input…}"}`,
 *   and a `task.progress` counting turns;
 * - `{type:"user", message:{content:[{type:"tool_result"…}]}}` → `task.log` (debug);
 * - `{type:"result", subtype, is_error, result, total_cost_usd, usage, num_turns, session_id}`
 *   → attempt meta (cost, usage, turns) and the task's result
 *   `{result, model, session_id, cost_usd, usage, num_turns, duration_ms}`; `is_error: true`
 *   fails the task (code `agent_error`, not retried).
 *
 * `jsonl` profile, one object per line: `{type:"progress", current?, total?, message?}`,
 * `{type:"output", stream?, text}`, `{type:"log", level?, message}`, `{type:"artifact", …}`,
 * `{type:"meta", …}` (attempt meta, e.g. provider and model), `{type:"result", result}`,
 * `{type:"error", message, code?, retryable?}`.
 *
 * Lines that are not JSON objects become `task.output` on stdout; stderr stays stderr. A
 * command that exits without a result fails (code `agent_no_result`, not retried).
 */
import type { Handler, TaskContext } from "@errand/client";
import { TaskFailure } from "@errand/client";
import { runCommand } from "../run-command.js";
import { DEFAULT_ENV_ALLOW } from "./shell.js";
import { argvOf, asObject, invalidInput, optionalInt, optionalString } from "./input.js";

export interface AgentOptions {
  /** Replaces `claude` in the default claude-code command line. */
  readonly agentCommand?: readonly string[];
  readonly envAllow?: readonly string[];
  readonly killGraceMs?: number;
}

type Json = Record<string, unknown>;

interface Outcome {
  result?: unknown;
  error?: TaskFailure;
  meta: Json;
}

const isObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

/** Maps one claude-code stream-json message; returns pending meta writes. */
function claudeCode(message: Json, ctx: TaskContext, state: Outcome & { turns: number }): void {
  switch (message.type) {
    case "system": {
      if (message.subtype === "init") {
        const meta: Json = { provider: "anthropic", agent: "claude-code" };
        if (typeof message.model === "string") meta.model = message.model;
        if (typeof message.session_id === "string") meta.session_id = message.session_id;
        Object.assign(state.meta, meta);
        ctx.log(`agent session started (model ${String(message.model ?? "unknown")})`);
      }
      return;
    }
    case "assistant": {
      const inner = isObject(message.message) ? message.message : {};
      if (typeof inner.model === "string" && state.meta.model === undefined) {
        state.meta.model = inner.model;
      }
      state.turns += 1;
      ctx.progress({ current: state.turns, message: `turn ${state.turns}` });
      const content = Array.isArray(inner.content) ? inner.content : [];
      for (const block of content) {
        if (!isObject(block)) continue;
        if (block.type === "text" && typeof block.text === "string") {
          ctx.output("stdout", block.text.endsWith("\n") ? block.text : `${block.text}\n`);
        } else if (block.type === "tool_use") {
          const name = String(block.name ?? "tool");
          const args = block.input === undefined ? "" : ` ${JSON.stringify(block.input)}`;
          ctx.log(`tool_use ${name}${args.length > 500 ? `${args.slice(0, 499)}…` : args}`);
        }
      }
      return;
    }
    case "user": {
      const inner = isObject(message.message) ? message.message : {};
      const content = Array.isArray(inner.content) ? inner.content : [];
      for (const block of content) {
        if (isObject(block) && block.type === "tool_result") {
          ctx.log(
            `tool_result ${String(block.tool_use_id ?? "")}${block.is_error ? " (error)" : ""}`,
            "debug",
          );
        }
      }
      return;
    }
    case "result": {
      const facts: Json = {};
      if (typeof message.total_cost_usd === "number") facts.cost_usd = message.total_cost_usd;
      if (isObject(message.usage)) facts.usage = message.usage;
      if (typeof message.num_turns === "number") facts.num_turns = message.num_turns;
      if (typeof message.duration_ms === "number") facts.duration_ms = message.duration_ms;
      if (typeof message.session_id === "string") facts.session_id = message.session_id;
      Object.assign(state.meta, facts);
      if (
        message.is_error === true ||
        (message.subtype !== undefined && message.subtype !== "success")
      ) {
        state.error = new TaskFailure(
          `agent ended with ${String(message.subtype ?? "an error")}: ${String(message.result ?? "")}`.trim(),
          {
            retryable: false,
            code: "agent_error",
            details: { subtype: message.subtype ?? null, ...facts },
          },
        );
      } else {
        state.result = {
          result: message.result ?? null,
          model: state.meta.model ?? null,
          ...facts,
        };
      }
      return;
    }
    default:
      return;
  }
}

function jsonl(message: Json, ctx: TaskContext, state: Outcome): void {
  switch (message.type) {
    case "progress": {
      const p: { current?: number; total?: number; message?: string } = {};
      if (typeof message.current === "number") p.current = message.current;
      if (typeof message.total === "number") p.total = message.total;
      if (typeof message.message === "string") p.message = message.message;
      ctx.progress(p);
      return;
    }
    case "output":
      ctx.output(message.stream === "stderr" ? "stderr" : "stdout", String(message.text ?? ""));
      return;
    case "log": {
      const level = ["debug", "info", "warn", "error"].includes(String(message.level))
        ? (message.level as "debug" | "info" | "warn" | "error")
        : "info";
      ctx.log(String(message.message ?? ""), level);
      return;
    }
    case "artifact": {
      const { type: _type, ...rest } = message;
      ctx.artifact(rest);
      return;
    }
    case "meta": {
      const { type: _type, ...rest } = message;
      Object.assign(state.meta, rest);
      return;
    }
    case "result":
      state.result = message.result ?? null;
      return;
    case "error":
      state.error = new TaskFailure(String(message.message ?? "agent error"), {
        retryable: message.retryable === true,
        code: typeof message.code === "string" ? message.code : "agent_error",
      });
      return;
    default:
      ctx.output("stdout", `${JSON.stringify(message)}\n`);
  }
}

export function agentAdapter(options: AgentOptions = {}): Handler {
  return async (task, ctx) => {
    const input = asObject("agent", task.input);
    const profile = optionalString("agent", input, "profile") ?? "claude-code";
    if (profile !== "claude-code" && profile !== "jsonl") {
      throw invalidInput("agent", `unknown profile ${profile} (claude-code or jsonl)`);
    }
    const prompt = optionalString("agent", input, "prompt");
    const model = optionalString("agent", input, "model");
    let argv: string[];
    if (input.argv !== undefined) {
      argv = argvOf("agent", input.argv);
    } else if (profile === "claude-code") {
      if (!prompt) throw invalidInput("agent", "give a prompt");
      argv = [
        ...(options.agentCommand ?? ["claude"]),
        "-p",
        prompt,
        "--output-format",
        "stream-json",
        "--verbose",
        ...(model ? ["--model", model] : []),
      ];
    } else {
      throw invalidInput("agent", "the jsonl profile needs argv");
    }
    const env: Record<string, string> = {};
    for (const name of options.envAllow ?? [...DEFAULT_ENV_ALLOW, "ANTHROPIC_API_KEY"]) {
      const value = process.env[name];
      if (value !== undefined && !name.startsWith("ERRAND_")) env[name] = value;
    }
    if (isObject(input.env)) {
      for (const [k, v] of Object.entries(input.env)) if (typeof v === "string") env[k] = v;
    }
    if (prompt) env.ERRAND_AGENT_PROMPT = prompt;

    const state: Outcome & { turns: number } = { meta: {}, turns: 0 };
    let metaSent = "";
    const metaWrites: Promise<void>[] = [];
    const flushMeta = () => {
      const snapshot = JSON.stringify(state.meta);
      if (snapshot === metaSent || snapshot === "{}") return;
      metaSent = snapshot;
      metaWrites.push(ctx.setMeta({ ...state.meta }).catch(() => {}));
    };
    const facts = await runCommand(argv, {
      cwd: optionalString("agent", input, "cwd"),
      env,
      ctx,
      timeoutMs: optionalInt("agent", input, "timeout_ms", 1, 7 * 24 * 3_600_000),
      outputLimit:
        optionalInt("agent", input, "output_limit_bytes", 0, 1 << 30) ?? 10 * 1024 * 1024,
      killGraceMs: options.killGraceMs ?? 2_000,
      stdin: undefined,
      check: false,
      onStdoutLine: (line) => {
        if (line.trim() === "") return;
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          message = undefined;
        }
        if (!isObject(message)) {
          ctx.output("stdout", `${line}\n`);
          return;
        }
        if (profile === "claude-code") claudeCode(message, ctx, state);
        else jsonl(message, ctx, state);
        flushMeta();
      },
    });
    await Promise.all(metaWrites);
    if (state.error) throw state.error;
    if (facts.exit_code !== 0 || facts.signal) {
      throw new TaskFailure(
        `agent exited with ${facts.signal ? `signal ${facts.signal}` : `code ${facts.exit_code}`}`,
        { retryable: false, code: "exit_code", details: facts },
      );
    }
    if (state.result === undefined) {
      throw new TaskFailure("the agent exited without a result", {
        retryable: false,
        code: "agent_no_result",
        details: facts,
      });
    }
    return state.result;
  };
}
