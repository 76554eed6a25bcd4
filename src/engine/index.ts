export * from "./engine.js";
export * from "./notifier.js";
export * from "./schemas.js";
export * from "./wire.js";
export * from "./api-keys.js";
export * from "./receipts.js";
export * from "./doorbell.js";
