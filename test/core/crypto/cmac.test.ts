/** AES-CMAC against the RFC 4493 §4 test vectors and the NIST SP 800-38B AES-192/256 examples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aesCmac, aesCmacVerify, cmacSubkeys } from '../../../core/crypto/cmac.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const KEY = hex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const MESSAGE = hex(`6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51
  30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710`);

describe('AES-CMAC (RFC 4493)', () => {
  it('derives-the-rfc-4493-subkeys', () => {
    const { k1, k2 } = cmacSubkeys(KEY);
    assert.equal(k1.toString('hex'), 'fbeed618357133667c85e08f7236a8de');
    assert.equal(k2.toString('hex'), 'f7ddac306ae266ccf90bc11ee46d513b');
  });

  for (const [length, mac] of [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ] as const) {
    it(`matches-rfc-4493-example-with-${length}-byte-message`, () => {
      assert.equal(aesCmac(KEY, MESSAGE.subarray(0, length)).toString('hex'), mac);
    });
  }

  it('matches-sp-800-38b-aes-256-example-2', () => {
    const key = hex('603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4');
    assert.equal(aesCmac(key, MESSAGE.subarray(0, 16)).toString('hex'), '28a7023f452e8f82bd4bf28d8c37c35c');
  });

  it('matches-sp-800-38b-aes-192-example-2', () => {
    const key = hex('8e73b0f7 da0e6452 c810f32b 809079e5 62f8ead2 522c6b7b');
    assert.equal(aesCmac(key, MESSAGE.subarray(0, 16)).toString('hex'), '9e99a7bf31e710900662f65e617c5184');
  });

  it('verifies-in-constant-time-and-refuses-a-changed-or-short-mac', () => {
    const mac = aesCmac(KEY, MESSAGE);
    assert.equal(aesCmacVerify(KEY, MESSAGE, mac), true);
    const bad = Buffer.from(mac);
    bad[0]! ^= 1;
    assert.equal(aesCmacVerify(KEY, MESSAGE, bad), false);
    assert.equal(aesCmacVerify(KEY, MESSAGE, mac.subarray(0, 4)), false);
  });

  it('refuses-a-key-that-is-not-aes-sized', () => {
    assert.throws(() => aesCmac(Buffer.alloc(15), MESSAGE), { code: 'KRY_OP_INVALID_FIELD' });
  });
});
