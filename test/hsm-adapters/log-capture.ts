import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A pino logger at trace level whose output is kept in memory, for sentinel checks. */
export function captureLogger(): { logger: Logger; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, stream);
  return { logger, text: () => chunks.join('') };
}
