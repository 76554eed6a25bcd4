/** The client commands of `errand`: run, watch, worker, tasks, workers, keys, receipts. */
import type { Command } from "commander";
import { registerOperatorCommands } from "./operators.js";
import { registerReceipt } from "./receipt.js";
import { registerRun, registerWatch } from "./run.js";
import { registerTaskCommands } from "./tasks.js";
import { registerWorker } from "./worker.js";

export function registerClientCommands(program: Command): void {
  registerWorker(program);
  registerRun(program);
  registerWatch(program);
  registerTaskCommands(program);
  registerOperatorCommands(program);
  registerReceipt(program);
}
