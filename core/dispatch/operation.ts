/**
 * Operation plugins: a descriptor is data (operation, phase, roles, permission) plus a handler.
 * The dispatcher — not the handler — checks permission, scopes the tenant, writes the audit
 * record and maps errors, once for every operation (STYLE, rule 3).
 */
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.js';
import type { ItemTypeName, StructureItem, TtlvItem } from '../ttlv/types.js';
import type { KmipVersion } from '../spec/versions.js';
import type { AsyncOperations, PollAnswer } from './pending.js';

export type OperationRole = 'core' | 'gateway';
export type Phase = 1 | 2 | 3 | 4;

/**
 * Services later work puts on the request context (store, keys, delegate, …). A module adds its
 * service by declaration merging:
 *   declare module '../core/dispatch/operation.js' { interface RequestServices { store: Store } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RequestServices {}

/** The ID placeholder of KMIP 2.1 §6.1.1: one per request message, never shared. */
export interface IdPlaceholder {
  get(): string | undefined;
  set(uniqueIdentifier: string): void;
  /** Empties it (a refused Check, KMIP 2.1 §6.1.7); optional for contexts built outside the dispatcher. */
  clear?(): void;
}

/**
 * Asynchronous operations of this server (core/dispatch/pending.ts), for Poll and Cancel: the
 * table, the owner key of the request's identity, and how Poll hands a stored answer back.
 */
export interface AsyncContext {
  readonly operations: AsyncOperations;
  readonly owner: string;
  /** Poll: answer this batch item with a stored outcome (or Pending) instead of a payload. */
  answer(answer: PollAnswer): void;
}

export interface RequestContext {
  readonly identity: Identity;
  /** The tenant every object access is scoped to (a foreign tenant's object is Object Not Found). */
  readonly tenant: string;
  /** Version the request was sent in; the response is answered in it. */
  readonly protocolVersion: KmipVersion;
  readonly placeholder: IdPlaceholder;
  readonly log: Logger;
  readonly services: RequestServices;
  /** Position in the batch and the client's Unique Batch Item ID, if any. */
  readonly batchItem: { readonly index: number; readonly uniqueBatchItemId?: Uint8Array };
  /** The operations this server loaded (Query answers with exactly these). */
  readonly registry: OperationRegistryView;
  readonly transport: 'ttlv' | 'https' | 'in-process';
  /** Set by the dispatcher; absent in contexts built elsewhere (Poll and Cancel then fail). */
  readonly asynchronous?: AsyncContext;
}

/** Read-only view of the loaded operations, for Query. */
export interface OperationRegistryView {
  /** Operation codes in registration order. */
  operationCodes(): readonly number[];
  /** Descriptors in registration order. */
  descriptors(): readonly ResolvedOperation[];
  extensionTags(): readonly ExtensionTag[];
}

export interface ExtensionTag {
  /** 0x54xxxx */
  readonly tag: number;
  readonly name: string;
  readonly type: ItemTypeName;
}

/**
 * Returned payload: the children of the Response Payload, a whole Response Payload structure,
 * or undefined for an operation without a payload.
 */
export type OperationResult = TtlvItem[] | StructureItem | undefined;

export interface OperationDescriptor {
  /**
   * The Operation enumeration name (`Query`), or for a vendor extension `{ name, code }` with
   * `code` in 0x80000000–0x8FFFFFFF; the name is registered as an extension value.
   */
  readonly operation: string | { readonly name: string; readonly code: number };
  readonly phase: Phase;
  readonly roles: readonly OperationRole[];
  /** Permission the identity needs; `*` in a principal's permissions grants all. */
  readonly permission: string;
  /** fastify plugin names this operation needs (e.g. `krypton-store`): boot fails without them. */
  readonly dependencies?: readonly string[];
  /** Extension tags (0x54xxxx) the operation's payloads use. */
  readonly tags?: readonly ExtensionTag[];
  /** Object Types the operation handles (Query Objects reports the union over loaded plugins). */
  readonly objectTypes?: readonly string[];
  /** Versions the operation is served in; default: every version the server answers. */
  readonly versions?: readonly KmipVersion[];
  /**
   * May run asynchronously when the request carries the Asynchronous Indicator (KMIP 2.1 §6.7):
   * answered Operation Pending with a correlation value, its result fetched by Poll.
   */
  readonly asynchronous?: boolean;
  handle(ctx: RequestContext, payload: StructureItem | undefined): Promise<OperationResult> | OperationResult;
}

export interface ResolvedOperation extends OperationDescriptor {
  readonly name: string;
  readonly code: number;
}

const DESCRIPTOR = Symbol.for('krypton.operation');

export type DefinedOperation = OperationDescriptor & { readonly [DESCRIPTOR]: true };

/** Declare an operation plugin: `export const query = defineOperation({ … })`. */
export function defineOperation(descriptor: OperationDescriptor): DefinedOperation {
  return Object.freeze({ ...descriptor, [DESCRIPTOR]: true as const });
}

export function isOperationDescriptor(value: unknown): value is DefinedOperation {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DESCRIPTOR] === true
  );
}
