/**
 * Check at the gateway (KMIP 2.1 §6.1.7, 1.4 §4.10): an L4 of the vault checked here by the
 * core's logic (plugins/check.ts: usage mask, usage limits, lease), any other object at the core.
 * A refusal empties the ID placeholder either way, so later items of the batch do not use it.
 */
import { check as coreCheck, checkUse } from '../check.js';
import { heldLike } from './held.js';

export const check = heldLike(coreCheck, checkUse, { refusalClearsPlaceholder: true });
