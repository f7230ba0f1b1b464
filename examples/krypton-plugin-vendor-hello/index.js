// @ts-check
/**
 * VendorHello (0x80000E02): a vendor-extension KMIP operation (KMIP 2.1 §11.1, extension
 * operations 0x8xxxxxxx) with two extension tags (0x54xxxx). It answers a greeting naming the
 * caller's principal and tenant, taken from the per-request context the dispatcher fills.
 *
 * Request payload:  VendorHelloName (Text String, required)
 * Response payload: VendorHelloGreeting (Text String)
 * Failure cases: no VendorHelloName → Invalid Field (the dispatcher maps the coded error);
 * a caller without the `vendor-hello` permission → Permission Denied (the dispatcher checks it
 * before the handler runs).
 */
import { defineOperation, KryptonError } from 'krypton-kmip';
import { child, textString } from 'krypton-kmip/ttlv';

export const VENDOR_HELLO_OPERATION = 0x80000e02;
export const VENDOR_HELLO_NAME_TAG = 0x540e02;
export const VENDOR_HELLO_GREETING_TAG = 0x540e03;

export const vendorHello = defineOperation({
  operation: { name: 'VendorHello', code: VENDOR_HELLO_OPERATION },
  tags: [
    { tag: VENDOR_HELLO_NAME_TAG, name: 'VendorHelloName', type: 'TextString' },
    { tag: VENDOR_HELLO_GREETING_TAG, name: 'VendorHelloGreeting', type: 'TextString' },
  ],
  phase: 1,
  roles: ['core', 'gateway'],
  permission: 'vendor-hello',
  handle(ctx, payload) {
    const name = child(payload, VENDOR_HELLO_NAME_TAG);
    if (name?.type !== 'TextString') {
      throw new KryptonError('KRY_MSG_MISSING_FIELD', 'VendorHelloName', {
        field: 'RequestPayload/VendorHelloName',
      });
    }
    const greeting = `hello ${name.value}, from ${ctx.identity.principal} of tenant ${ctx.tenant}`;
    return [textString(VENDOR_HELLO_GREETING_TAG, greeting)];
  },
});
