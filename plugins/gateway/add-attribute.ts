/**
 * Add Attribute at the gateway (KMIP 2.1 §6.1.2, 1.4 §4.13): an L4 of the vault is changed here
 * by the core's logic (plugins/add-attribute.ts: rule table, single-valued and Name checks — a
 * Name is unique among the vault's objects), any other object at the core.
 */
import { addAttribute as coreAddAttribute, addAttributeTo } from '../add-attribute.js';
import { heldLike } from './held.js';

export const addAttribute = heldLike(coreAddAttribute, addAttributeTo, { changesKey: true });
