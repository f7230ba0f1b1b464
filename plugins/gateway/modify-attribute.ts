/**
 * Modify Attribute at the gateway (KMIP 2.1 §6.1.34, 1.4 §4.14): an L4 of the vault here by the
 * core's logic (plugins/modify-attribute.ts), any other object at the core; a modified L3 leaves
 * the gateway's cache at once (its checks are re-read on next use).
 */
import { modifyAttribute as coreModifyAttribute, modifyAttributeOf } from '../modify-attribute.js';
import { heldLike } from './held.js';

export const modifyAttribute = heldLike(coreModifyAttribute, modifyAttributeOf, { changesKey: true });
