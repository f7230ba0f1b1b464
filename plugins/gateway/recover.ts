/**
 * Recover at the gateway (KMIP 2.1 §6.1.42, 1.4 §4.23): an archived L4 of the vault comes back
 * on-line here, any other object at the core. Asynchronous when the client allows it.
 */
import { recover as coreRecover, recoverObject } from '../recover.js';
import { heldLike } from './held.js';

export const recover = heldLike(coreRecover, recoverObject, { changesKey: true });
