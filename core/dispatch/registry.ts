/**
 * The explicit operation registry: operation code → descriptor, filled by the operation
 * plugins at boot and read-only afterwards. Query reports exactly what is in here.
 */
import { KryptonError } from '../errors.js';
import { operationByName, registerExtensionEnumValue, registerExtensionTag } from '../spec/index.js';
import type {
  DefinedOperation,
  ExtensionTag,
  OperationRegistryView,
  ResolvedOperation,
} from './operation.js';

export class OperationRegistry implements OperationRegistryView {
  private readonly byCode = new Map<number, ResolvedOperation>();
  private readonly tags: ExtensionTag[] = [];
  private sealed = false;

  /** Resolves the operation name (registering vendor extensions) and adds the descriptor. */
  add(descriptor: DefinedOperation): ResolvedOperation {
    if (this.sealed)
      throw new KryptonError('KRY_SRV_OPERATION_CONFLICT', 'the registry is sealed after boot');
    for (const tag of descriptor.tags ?? []) {
      registerExtensionTag({ tag: tag.tag, name: tag.name, type: tag.type });
      if (!this.tags.some((t) => t.tag === tag.tag)) this.tags.push(tag);
    }
    let name: string;
    let code: number;
    if (typeof descriptor.operation === 'string') {
      const def = operationByName(descriptor.operation);
      if (!def)
        throw new KryptonError(
          'KRY_SRV_OPERATION_NOT_SUPPORTED',
          `unknown operation ${descriptor.operation}`,
        );
      name = def.camel;
      code = def.code;
    } else {
      name = descriptor.operation.name;
      code = descriptor.operation.code;
      registerExtensionEnumValue('Operation', name, code);
    }
    const prior = this.byCode.get(code);
    if (prior) throw new KryptonError('KRY_SRV_OPERATION_CONFLICT', `${name} is already provided`);
    const resolved: ResolvedOperation = Object.freeze({ ...descriptor, name, code });
    this.byCode.set(code, resolved);
    return resolved;
  }

  seal(): void {
    this.sealed = true;
  }

  get(code: number): ResolvedOperation | undefined {
    return this.byCode.get(code);
  }

  operationCodes(): readonly number[] {
    return [...this.byCode.keys()];
  }

  descriptors(): readonly ResolvedOperation[] {
    return [...this.byCode.values()];
  }

  extensionTags(): readonly ExtensionTag[] {
    return this.tags;
  }
}
