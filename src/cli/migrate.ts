/** `errand migrate`: applies pending database migrations and exits. */
import { mkdir } from "node:fs/promises";
import type { Command } from "commander";
import { ConfigError, resolveServerConfig, type ServeFlags } from "../server/config.js";
import { addStoreOptions } from "./serve.js";

export function registerMigrate(program: Command): void {
  const migrate = program
    .command("migrate")
    .description("Apply pending database migrations and exit (serve also does this on start)");
  addStoreOptions(migrate).action(async (flags: ServeFlags) => {
    try {
      const config = resolveServerConfig({ dataDir: flags.dataDir, db: flags.db });
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      const { openStore } = await import("../server/open-store.js");
      const store = await openStore(config);
      try {
        await store.migrate();
      } finally {
        await store.close();
      }
      process.stdout.write(`errand migrate: the ${store.backend} database is up to date\n`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`errand migrate: ${err.message}\n`);
      process.exitCode = 2;
    }
  });
}
