import type { Task } from "../core/index.js";
import { ErrandError, isId } from "../core/index.js";
import type { Store } from "../store/store.js";

/** The task `id` of the tenant, or `invalid_id` / `task_not_found`. */
export async function loadTask(store: Store, tenantId: string, id: string): Promise<Task> {
  if (!isId("task", id)) throw new ErrandError("invalid_id", `not a task id: ${id}`);
  const task = await store.getTask(tenantId, id);
  if (!task) throw new ErrandError("task_not_found", `no task ${id}`);
  return task;
}
