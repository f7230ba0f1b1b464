/**
 * Get Attribute List at the gateway (KMIP 2.1 §6.1.23, 1.4 §4.13): the names of an L4's
 * attributes from the vault (plugins/get-attribute-list.ts), any other object's from the core.
 */
import { attributeListOf, getAttributeList as coreGetAttributeList } from '../get-attribute-list.js';
import { heldLike } from './held.js';

export const getAttributeList = heldLike(coreGetAttributeList, attributeListOf);
