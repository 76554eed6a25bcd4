/**
 * @errand/client: the Errand SDK. `Errand` for taskers (create, watch, cancel, receipts),
 * `Worker` for running tasks, and the runtime pieces for custom transports.
 */
export const CLIENT_VERSION = "0.1.0";

export * from "./types.js";
export * from "./errors.js";
export type { Handler, TaskContext, LogLevel, AbortReason } from "./worker/context.js";
export { TaskAbortedError, describeFailure } from "./worker/context.js";
export type { WorkerTransport } from "./worker/transport.js";
export type { RuntimeLogger } from "./worker/logger.js";
export { WorkerRuntime } from "./worker/runtime.js";
export type { RuntimeOptions, StopOptions } from "./worker/runtime.js";
export { Errand } from "./client.js";
export type { ErrandOptions } from "./client.js";
export type { ConnectionOptions, RequestOptions } from "./http.js";
export { HttpClient } from "./http.js";
export type { EventStreamOptions } from "./events.js";
export { SseParser } from "./sse.js";
export type { SseMessage } from "./sse.js";
export { Worker } from "./worker/worker.js";
export type { WorkerOptions } from "./worker/worker.js";
export { HttpTransport } from "./worker/http-transport.js";
