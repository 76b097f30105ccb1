import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger. Components receive a child logger through their constructor. */
export function createLogger(level: string = process.env.CORRAL_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything: for tests and library use without output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
