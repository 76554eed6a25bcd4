/** The logging shape the runtime uses: pino-compatible `(object, message)` calls. */
export interface RuntimeLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export const silentLogger: RuntimeLogger = { info() {}, warn() {}, error() {} };
