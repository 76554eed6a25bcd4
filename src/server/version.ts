/** The server's version, read from the package.json above this file (src/ or dist/src/). */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

export function errandVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "errand" && typeof pkg.version === "string") return (cached = pkg.version);
    } catch {
      // Not here; look one level up.
    }
    dir = dirname(dir);
  }
  return (cached = "0.0.0-dev");
}
