/**
 * pino logger: JSON lines, pretty (pino-pretty) when stdout is a terminal. Anything that could
 * hold secrets is redacted at every depth the server logs (SECURITY-CHECKLIST 31).
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { ProfileConfig } from '../config/schema.js';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'credential',
  '*.credential',
  'key',
  '*.key',
  'keyMaterial',
  '*.keyMaterial',
  'pin',
  '*.pin',
  'passphrase',
  '*.passphrase',
  'secret',
  '*.secret',
  // Two levels down too: a logged config section (`{ hsm: { pin } }`) nests one deeper.
  '*.*.password',
  '*.*.pin',
  '*.*.passphrase',
  '*.*.secret',
  'req.headers.authorization',
];

export function createLogger(logging: ProfileConfig['logging'], destination?: NodeJS.WritableStream): Logger {
  const pretty = logging.pretty === 'auto' ? !destination && process.stdout.isTTY === true : logging.pretty;
  const base = { level: logging.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (pretty && !destination) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } },
    });
  }
  return destination ? pino(base, destination) : pino(base);
}
