import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event; `name` tells which process wrote it. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid, name },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'req.headers.authorization', 'req.headers["x-device-key"]'],
      censor: '[redacted]',
    },
  });
}
