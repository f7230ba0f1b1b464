/**
 * An example third-party plugin: a vendor-extension operation `VendorEcho` (0x80000E01) with
 * its own extension tag `VendorEchoText` (0x540E01, Text String). It answers with the text it
 * was sent, reversed, so a test can tell the answer came from the plugin.
 *
 * A profile loads it by path (see profile.json beside this file) or, published as a package,
 * by its npm name. A plugin outside this repository imports `defineOperation` from the
 * package instead of the relative path used here.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { KryptonError } from '../../core/errors.js';
import { child, textString } from '../../core/ttlv/tree.js';

export const VENDOR_ECHO_OPERATION = 0x80000e01;
export const VENDOR_ECHO_TEXT_TAG = 0x540e01;

export const vendorEcho = defineOperation({
  operation: { name: 'VendorEcho', code: VENDOR_ECHO_OPERATION },
  tags: [{ tag: VENDOR_ECHO_TEXT_TAG, name: 'VendorEchoText', type: 'TextString' }],
  phase: 1,
  roles: ['core', 'gateway'],
  permission: 'vendor-echo',
  handle(_ctx, payload) {
    const text = child(payload, VENDOR_ECHO_TEXT_TAG);
    if (text?.type !== 'TextString') {
      throw new KryptonError('KRY_MSG_MISSING_FIELD', 'VendorEchoText', {
        field: 'RequestPayload/VendorEchoText',
      });
    }
    return [textString(VENDOR_ECHO_TEXT_TAG, [...text.value].reverse().join(''))];
  },
});
