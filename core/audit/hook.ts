/**
 * The dispatcher's audit hook backed by the JSON-lines sink, from the profile's `audit` section.
 * Fail-closed by default: when a record cannot be written the batch item fails and its payload
 * never leaves. With `failClosed: false` the failure is logged and the request proceeds.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AuditHook } from '../dispatch/dispatcher.js';
import type { AuditFsyncPolicy } from './jsonl-sink.js';
import { acquireAuditSink } from './jsonl-sink.js';

export interface AuditConfig {
  enabled: boolean;
  /** Relative to the profile's stateDir. */
  path: string;
  fsync: AuditFsyncPolicy;
  fsyncIntervalMs: number;
  failClosed: boolean;
}

export interface AuditService {
  readonly hook: AuditHook | undefined;
  readonly path: string | undefined;
  close(): Promise<void>;
}

export async function createAuditService(
  config: AuditConfig,
  stateDir: string,
  log: Logger,
): Promise<AuditService> {
  if (!config.enabled) {
    log.warn('audit log disabled by the profile');
    return { hook: undefined, path: undefined, close: async () => {} };
  }
  const path = resolve(stateDir, config.path);
  const { sink, release } = await acquireAuditSink({
    path,
    fsync: config.fsync,
    fsyncIntervalMs: config.fsyncIntervalMs,
  });
  const hook: AuditHook = config.failClosed
    ? (record) => sink.append(record)
    : (record) =>
        sink.append(record).catch((err: unknown) => {
          log.error({ err: (err as Error).message }, 'audit record lost (failClosed is false)');
        });
  return { hook, path, close: release };
}
