#!/usr/bin/env node
// The CLI entry point: runs the compiled TypeScript (built by `npm install` through `prepare`).
import { main } from "../dist/src/cli/main.js";

main(process.argv).then(
  (code) => {
    if (typeof code === "number") process.exitCode = code;
  },
  (err) => {
    console.error(`errand: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
