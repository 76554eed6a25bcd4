/** Configuration resolution: flags win over environment variables, which win over defaults. */
import { describe, expect, it } from "vitest";
import { ConfigError, redactDbUrl, resolveServerConfig } from "../src/server/config.js";
import { openStore, sqlitePath } from "../src/server/open-store.js";

describe("resolveServerConfig", () => {
  it("has the documented defaults", () => {
    expect(resolveServerConfig({}, {}, "/srv/app")).toEqual({
      host: "127.0.0.1",
      port: 7420,
      dataDir: "/srv/app/.errand",
      db: null,
      insecure: false,
      bodyLimit: 1024 * 1024,
      worker: true,
      rateLimit: 600_000,
      sseKeepAliveMs: 15_000,
      metrics: "public",
      allowedOrigins: [],
      logLevel: "info",
    });
    expect(sqlitePath({ dataDir: "/srv/app/.errand", db: null })).toBe(
      "/srv/app/.errand/errand.db",
    );
  });

  it("takes environment variables over defaults and flags over both", () => {
    const env = {
      ERRAND_HOST: "0.0.0.0",
      ERRAND_PORT: "8080",
      ERRAND_DATA_DIR: "data",
      ERRAND_DB: "/tmp/x.db",
      ERRAND_INSECURE: "1",
      ERRAND_BODY_LIMIT: "512k",
      ERRAND_WORKER: "0",
      ERRAND_RATE_LIMIT: "0",
      ERRAND_METRICS: "off",
      ERRAND_LOG_LEVEL: "warn",
    };
    const fromEnv = resolveServerConfig({ worker: true }, env, "/srv");
    expect(fromEnv).toMatchObject({
      host: "0.0.0.0",
      port: 8080,
      dataDir: "/srv/data",
      db: "/tmp/x.db",
      insecure: true,
      bodyLimit: 512 * 1024,
      worker: false,
      rateLimit: 0,
      metrics: "off",
      logLevel: "warn",
    });
    const fromFlags = resolveServerConfig(
      {
        host: "::1",
        port: "0",
        dataDir: "/var/lib/errand",
        bodyLimit: "2mb",
        worker: false,
        metrics: "private",
      },
      env,
      "/srv",
    );
    expect(fromFlags).toMatchObject({
      host: "::1",
      port: 0,
      dataDir: "/var/lib/errand",
      bodyLimit: 2 * 1024 * 1024,
      worker: false,
      metrics: "private",
    });
  });

  it("refuses unusable values with a message naming the flag and the variable", () => {
    const bad: Array<[Parameters<typeof resolveServerConfig>[0], Record<string, string>, RegExp]> =
      [
        [{ port: "99999" }, {}, /--port \/ ERRAND_PORT/],
        [{}, { ERRAND_PORT: "http" }, /--port \/ ERRAND_PORT/],
        [{ bodyLimit: "lots" }, {}, /--body-limit \/ ERRAND_BODY_LIMIT/],
        [{}, { ERRAND_INSECURE: "maybe" }, /--insecure \/ ERRAND_INSECURE/],
        [{ metrics: "everyone" }, {}, /--metrics \/ ERRAND_METRICS/],
        [{ logLevel: "loud" }, {}, /--log-level/],
      ];
    for (const [flags, env, message] of bad) {
      expect(() => resolveServerConfig(flags, env, "/srv")).toThrow(ConfigError);
      expect(() => resolveServerConfig(flags, env, "/srv")).toThrow(message);
    }
  });

  it("refuses a --db URL of an unknown scheme, and hides passwords of a PostgreSQL URL", async () => {
    await expect(openStore({ dataDir: "/tmp", db: "mysql://x@y/z" })).rejects.toThrow(ConfigError);
    expect(redactDbUrl("postgres://errand:s3cret@db:5432/errand")).toBe(
      "postgres://errand:***@db:5432/errand",
    );
  });

  it("takes allowed origins from the flag or a comma-separated variable, and refuses non-origins", () => {
    expect(resolveServerConfig({}, {}, "/srv").allowedOrigins).toEqual([]);
    expect(
      resolveServerConfig(
        {},
        { ERRAND_ALLOWED_ORIGINS: "https://a.example, http://b.example:8080" },
        "/srv",
      ).allowedOrigins,
    ).toEqual(["https://a.example", "http://b.example:8080"]);
    expect(
      resolveServerConfig(
        { allowedOrigin: ["https://c.example/"] },
        { ERRAND_ALLOWED_ORIGINS: "https://a.example" },
        "/srv",
      ).allowedOrigins,
    ).toEqual(["https://c.example"]);
    for (const bad of ["not a url", "https://a.example/path", "file:///etc"]) {
      expect(() => resolveServerConfig({ allowedOrigin: [bad] }, {}, "/srv")).toThrow(
        /--allowed-origin/,
      );
    }
  });
});
