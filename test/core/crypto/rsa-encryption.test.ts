import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { test } from 'node:test';
import { rsaDecrypt, rsaEncrypt } from '../../../core/crypto/rsa-encryption.js';
import { isKryptonError } from '../../../core/errors.js';
import { HashingAlgorithm, PaddingMethod } from '../../../core/spec/index.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const message = Buffer.from('a DEK of thirty-two bytes exactly');
const label = Buffer.from('Kilroy was here');
const mixed = {
  paddingMethod: PaddingMethod.OAEP,
  hashingAlgorithm: HashingAlgorithm.SHA_384,
  maskGeneratorHashingAlgorithm: HashingAlgorithm.SHA_256,
  pSource: label,
};

test('oaep-with-one-hash-interoperates-with-openssl', () => {
  const p = { paddingMethod: PaddingMethod.OAEP, hashingAlgorithm: HashingAlgorithm.SHA_256, pSource: label };
  const c = rsaEncrypt(publicKey, p, message);
  const viaOpenSsl = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
    c,
  );
  assert.deepEqual(viaOpenSsl, message);
  const back = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
    message,
  );
  assert.deepEqual(rsaDecrypt(privateKey, p, back), message);
});

test('oaep-with-a-different-mgf1-hash-round-trips-and-is-randomised', () => {
  const a = rsaEncrypt(publicKey, mixed, message);
  const b = rsaEncrypt(publicKey, mixed, message);
  assert.notDeepEqual(a, b);
  assert.deepEqual(rsaDecrypt(privateKey, mixed, a), message);
  assert.deepEqual(rsaDecrypt(privateKey, mixed, b), message);
  // The same hash for both would not decode what the mixed scheme encoded.
  assert.throws(
    () => rsaDecrypt(privateKey, { ...mixed, maskGeneratorHashingAlgorithm: HashingAlgorithm.SHA_384 }, a),
    (e: unknown) => isKryptonError(e) && e.reason === 'CryptographicFailure',
  );
});

test('oaep-decoding-failures-are-one-cryptographic-failure', () => {
  const c = rsaEncrypt(publicKey, mixed, message);
  const tampered = Buffer.from(c);
  tampered[10]! ^= 0x01;
  const wrongLabel = { ...mixed, pSource: Buffer.from('someone else') };
  const messages = new Set<string>();
  for (const [p, data] of [
    [mixed, tampered],
    [wrongLabel, c],
    [mixed, c.subarray(1)],
  ] as const) {
    assert.throws(
      () => rsaDecrypt(privateKey, p, data),
      (e: unknown) => isKryptonError(e) && e.reason === 'CryptographicFailure' && !!messages.add(e.message),
    );
  }
  assert.equal(messages.size, 1, 'no failure tells another apart');
});

test('pkcs1-v1_5-encryption-is-refused-and-oversized-data-is-invalid', () => {
  assert.throws(
    () => rsaEncrypt(publicKey, { paddingMethod: PaddingMethod.PKCS1V1_5 }, message),
    (e: unknown) => isKryptonError(e) && e.reason === 'FeatureNotSupported',
  );
  assert.throws(
    () => rsaEncrypt(publicKey, mixed, Buffer.alloc(256 - 2 * 48 - 1)),
    (e: unknown) => isKryptonError(e) && e.reason === 'InvalidField',
  );
});
