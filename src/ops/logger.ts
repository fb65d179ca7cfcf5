/**
 * pino, JSON lines on stdout. Secrets in the config are Secret objects that print as
 * "[redacted]"; the redact paths below are a second belt for header maps that pass through
 * a log call some other way.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'kafka-http-bridge' },
      redact: {
        paths: [
          'headers.authorization',
          'headers["proxy-authorization"]',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
          'password',
          '*.password',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
