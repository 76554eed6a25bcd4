/**
 * `errand mcp`: MCP over stdio for a local agent, bridged to the server's `/mcp` endpoint
 * (see src/mcp/stdio-bridge.ts and docs/mcp.md). It finds the server and key the way every
 * client command does: `--server`/ERRAND_URL (default http://127.0.0.1:7420) and
 * `--key`/ERRAND_KEY, else the local admin key in `<data-dir>/admin.key`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:7420";

export interface McpFlags {
  readonly server?: string | undefined;
  readonly key?: string | undefined;
  readonly dataDir?: string | undefined;
}

export function resolveMcpTarget(
  flags: McpFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { server: string; key: string | null; keySource: string } {
  const server = flags.server ?? (env.ERRAND_URL || DEFAULT_SERVER_URL);
  if (flags.key) return { server, key: flags.key, keySource: "--key" };
  if (env.ERRAND_KEY) return { server, key: env.ERRAND_KEY, keySource: "ERRAND_KEY" };
  const dataDir = resolve(flags.dataDir ?? (env.ERRAND_DATA_DIR || "./.errand"));
  const path = join(dataDir, "admin.key");
  try {
    return { server, key: readFileSync(path, "utf8").trim(), keySource: path };
  } catch {
    return { server, key: null, keySource: "none" };
  }
}

export function registerMcp(program: Command): void {
  program
    .command("mcp")
    .description(
      "Serve MCP over stdio for a local agent (Claude Code, Claude Desktop), bridged to the Errand server's /mcp",
    )
    .option("--server <url>", `server URL (env ERRAND_URL; default ${DEFAULT_SERVER_URL})`)
    .option("--key <key>", "API key (env ERRAND_KEY; default: <data-dir>/admin.key)")
    .option("--data-dir <dir>", "where to find admin.key (env ERRAND_DATA_DIR; default ./.errand)")
    .action(async (flags: McpFlags) => {
      const target = resolveMcpTarget(flags);
      if (!target.key) {
        process.stderr.write(
          "errand mcp: no API key (give --key or ERRAND_KEY, or run where <data-dir>/admin.key is readable); " +
            "continuing without one, which only a server started with --insecure accepts\n",
        );
      }
      const { runStdioBridge } = await import("../../mcp/stdio-bridge.js");
      await runStdioBridge({ server: target.server, key: target.key });
    });
}
