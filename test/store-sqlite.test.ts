import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/store.js";
import { describeStoreConformance } from "./store-conformance.js";

describeStoreConformance("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "errand-store-"));
  const path = join(dir, "errand.db");
  const store = openSqliteStore({ path });
  const others: Store[] = [];
  return {
    store,
    async openAnother() {
      const s = openSqliteStore({ path });
      await s.migrate();
      others.push(s);
      return s;
    },
    async cleanup() {
      for (const s of others) await s.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
