import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../logger.js';

/**
 * Bolt logs through pino. Bolt's debug level prints request bodies, and a view_submission
 * body carries the client secret in clear (docs/architecture.md, "Secrets"), so Bolt is never allowed below info.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')),
    setLevel: (next: LogLevel) => {
      level = next === LogLevel.DEBUG ? LogLevel.INFO : next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
