import { describe, it } from "vitest";
import { openPostgresStore } from "../src/store/postgres/index.js";
import type { Store } from "../src/store/store.js";
import { describeStoreConformance } from "./store-conformance.js";
import { PG_AVAILABLE, TEST_PG_URL, dropSchema, randomSchema } from "./pg-harness.js";

if (PG_AVAILABLE) {
  describeStoreConformance("postgres", async () => {
    const schema = randomSchema("conf");
    const store = openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 4 });
    const others: Store[] = [];
    return {
      store,
      async openAnother() {
        const s = openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 2 });
        await s.migrate();
        others.push(s);
        return s;
      },
      async cleanup() {
        for (const s of others) await s.close();
        await store.close();
        await dropSchema(schema);
      },
    };
  });
} else {
  describe.skip("store conformance: postgres (PostgreSQL unreachable)", () => {
    it("needs PostgreSQL", () => undefined);
  });
}
