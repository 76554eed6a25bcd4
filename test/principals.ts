/** Principals that tests act as, without keys: the engine checks scopes and tenants on them. */
import type { Principal } from "../src/core/index.js";

const internal = (id: string, tenantId: string, scopes: Principal["scopes"]): Principal => ({
  id,
  tenantId,
  scopes,
  via: "internal",
});

export const tasker = internal("key_tasker", "default", ["tasker"]);
/** Another tasker of the same tenant: sees the tenant's tasks, but not their receipts. */
export const otherTasker = internal("key_other", "default", ["tasker"]);
export const worker = internal("key_worker", "default", ["worker"]);
export const admin = internal("key_admin", "default", ["admin"]);
/** A tasker and worker of another tenant. */
export const otherTenant = internal("key_other", "other", ["tasker", "worker"]);
