/**
 * Set Attribute at the gateway (KMIP 2.1 §6.1.51, 2.x only): an L4 of the vault here by the
 * core's logic (plugins/set-attribute.ts), any other object at the core.
 */
import { setAttribute as coreSetAttribute, setAttributeOf } from '../set-attribute.js';
import { heldLike } from './held.js';

export const setAttribute = heldLike(coreSetAttribute, setAttributeOf, { changesKey: true });
