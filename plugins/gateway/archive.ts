/**
 * Archive at the gateway (KMIP 2.1 §6.1.4, 1.4 §4.22): an L4 of the vault is archived here (it
 * leaves Locate's on-line results, its attribute operations answer Object Archived until Recover),
 * any other object at the core. Asynchronous when the client allows it, run by the gateway.
 */
import { archive as coreArchive, archiveObject } from '../archive.js';
import { heldLike } from './held.js';

export const archive = heldLike(coreArchive, archiveObject, { changesKey: true });
