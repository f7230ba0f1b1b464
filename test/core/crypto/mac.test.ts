/** HMAC against RFC 4231 test case 2, CMAC selection, and algorithm resolution. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMac, macAlgorithm, verifyMac } from '../../../core/crypto/mac.js';
import { CryptographicAlgorithm } from '../../../core/spec/index.js';

const KEY = Buffer.from('Jefe');
const DATA = Buffer.from('what do ya want for nothing?');

describe('MAC algorithms', () => {
  for (const [alg, mac] of [
    [CryptographicAlgorithm.HMAC_SHA224, 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44'],
    [CryptographicAlgorithm.HMAC_SHA256, '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [
      CryptographicAlgorithm.HMAC_SHA384,
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    ],
    [
      CryptographicAlgorithm.HMAC_SHA512,
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    ],
  ] as const) {
    it(`hmac-matches-rfc-4231-test-case-2-for-algorithm-${alg}`, () => {
      assert.equal(computeMac(alg, KEY, DATA).toString('hex'), mac);
      assert.equal(verifyMac(alg, KEY, DATA, Buffer.from(mac, 'hex')), true);
    });
  }

  it('hmac-sha1-matches-rfc-2202-test-case-2', () => {
    assert.equal(
      computeMac(CryptographicAlgorithm.HMAC_SHA1, KEY, DATA).toString('hex'),
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });

  it('aes-means-cmac', () => {
    const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
    assert.equal(
      computeMac(CryptographicAlgorithm.AES, key, Buffer.alloc(0)).toString('hex'),
      'bb1d6929e95937287fa37d129b756746',
    );
  });

  it('takes-the-first-given-algorithm-and-refuses-non-mac-algorithms', () => {
    assert.equal(
      macAlgorithm([undefined, CryptographicAlgorithm.HMAC_SHA256, CryptographicAlgorithm.AES]),
      CryptographicAlgorithm.HMAC_SHA256,
    );
    assert.throws(() => macAlgorithm([CryptographicAlgorithm.RSA]), { code: 'KRY_OP_FEATURE_NOT_SUPPORTED' });
    assert.throws(() => macAlgorithm([undefined]), { code: 'KRY_OP_INVALID_FIELD' });
  });

  it('a-wrong-or-too-short-mac-is-invalid', () => {
    const mac = computeMac(CryptographicAlgorithm.HMAC_SHA256, KEY, DATA);
    const bad = Buffer.from(mac);
    bad[31]! ^= 0x80;
    assert.equal(verifyMac(CryptographicAlgorithm.HMAC_SHA256, KEY, DATA, bad), false);
    assert.equal(verifyMac(CryptographicAlgorithm.HMAC_SHA256, KEY, DATA, mac.subarray(0, 8)), false);
    assert.equal(verifyMac(CryptographicAlgorithm.HMAC_SHA256, KEY, DATA, Buffer.alloc(0)), false);
  });
});
