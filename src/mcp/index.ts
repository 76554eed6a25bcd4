export { createMcpServer, MCP_SERVER_NAME, type McpServerOptions } from "./server.js";
export { mcpStatusOf, toMcpTask } from "./mcp-tasks.js";
export { taskUri } from "./resources.js";
