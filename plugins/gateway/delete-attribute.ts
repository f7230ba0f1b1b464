/**
 * Delete Attribute at the gateway (KMIP 2.1 §6.1.13, 1.4 §4.15): an L4 of the vault here by the
 * core's logic (plugins/delete-attribute.ts), any other object at the core.
 */
import { deleteAttribute as coreDeleteAttribute, deleteAttributeOf } from '../delete-attribute.js';
import { heldLike } from './held.js';

export const deleteAttribute = heldLike(coreDeleteAttribute, deleteAttributeOf, { changesKey: true });
