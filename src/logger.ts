import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that could carry a secret if someone logged a whole object: Slack view state (the
 * setup modal has the client secret in clear), request bodies and credential fields.
 * Belt and braces: the code never logs these on purpose (docs/architecture.md, "Secrets").
 */
export const REDACTED_PATHS = [
  'body',
  'payload',
  'state',
  'view.state',
  '*.state',
  'client_secret',
  'clientSecret',
  '*.client_secret',
  '*.clientSecret',
  'password',
  '*.password',
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { app: 'spokebot' } }, destination);
}
