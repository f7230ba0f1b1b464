/** Signature schemes: each signs and verifies, a changed message or signature is invalid. */
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { signatureScheme, signWith, verifyWith } from '../../../core/crypto/signatures.js';
import { generateAsymmetricKeyPair, checkKeyPairRequest } from '../../../core/crypto/key-pairs.js';
import {
  CryptographicAlgorithm,
  DigitalSignatureAlgorithm,
  HashingAlgorithm,
  PaddingMethod,
  RecommendedCurve,
} from '../../../core/spec/index.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.from('Krypton signs this');

describe('signature schemes', () => {
  const cases = [
    [
      'rsa-pkcs1-sha256',
      rsa,
      { paddingMethod: PaddingMethod.PKCS1V1_5, hashingAlgorithm: HashingAlgorithm.SHA_256 },
    ],
    ['rsa-pss-sha384', rsa, { paddingMethod: PaddingMethod.PSS, hashingAlgorithm: HashingAlgorithm.SHA_384 }],
    [
      'rsa-sha512-by-dsa',
      rsa,
      { digitalSignatureAlgorithm: DigitalSignatureAlgorithm.SHA_512WithRSAEncryption },
    ],
    ['ecdsa-p256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), {}],
    [
      'ecdsa-p384-sha384',
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      { hashingAlgorithm: HashingAlgorithm.SHA_384 },
    ],
    [
      'ecdsa-p521-sha512',
      generateKeyPairSync('ec', { namedCurve: 'secp521r1' }),
      { digitalSignatureAlgorithm: DigitalSignatureAlgorithm.ECDSAWithSHA512 },
    ],
    ['ed25519', generateKeyPairSync('ed25519'), {}],
  ] as const;
  for (const [name, pair, params] of cases) {
    it(`${name}-signs-and-verifies-and-rejects-changes`, () => {
      const scheme = signatureScheme(pair.privateKey, params);
      const sig = signWith(pair.privateKey, scheme, { data });
      const vscheme = signatureScheme(pair.publicKey, params);
      assert.equal(verifyWith(pair.publicKey, vscheme, { data }, sig), true);
      assert.equal(verifyWith(pair.publicKey, vscheme, { data: Buffer.from('other') }, sig), false);
      const bad = Buffer.from(sig);
      bad[bad.length - 1]! ^= 1;
      assert.equal(verifyWith(pair.publicKey, vscheme, { data }, bad), false);
      assert.equal(verifyWith(pair.publicKey, vscheme, { data }, Buffer.alloc(3)), false);
    });
  }

  it('pss-uses-the-salt-length-asked-and-verifies-any-salt-by-default', () => {
    const scheme = signatureScheme(rsa.privateKey, { paddingMethod: PaddingMethod.PSS, saltLength: 222 });
    const sig = signWith(rsa.privateKey, scheme, { data });
    assert.ok(
      verify(
        'sha256',
        data,
        { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 222 },
        sig,
      ),
    );
    const any = signatureScheme(rsa.publicKey, { paddingMethod: PaddingMethod.PSS });
    assert.equal(verifyWith(rsa.publicKey, any, { data }, sig), true);
  });

  it('signs-a-digest-with-pkcs1-v1_5-like-the-message', async () => {
    const scheme = signatureScheme(rsa.privateKey, {});
    const digest = Buffer.from((await import('node:crypto')).createHash('sha256').update(data).digest());
    const sig = signWith(rsa.privateKey, scheme, { digested: digest });
    assert.deepEqual(sig, signWith(rsa.privateKey, scheme, { data }));
  });

  it('refuses-parameters-that-do-not-fit-the-key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(
      () => signatureScheme(ec.privateKey, { cryptographicAlgorithm: CryptographicAlgorithm.RSA }),
      {
        code: 'KRY_OP_INVALID_FIELD',
      },
    );
    assert.throws(
      () =>
        signatureScheme(rsa.privateKey, {
          digitalSignatureAlgorithm: DigitalSignatureAlgorithm.ECDSAWithSHA256,
        }),
      { code: 'KRY_OP_INVALID_FIELD' },
    );
    assert.throws(() => signatureScheme(rsa.privateKey, { paddingMethod: PaddingMethod.OAEP }), {
      code: 'KRY_OP_FEATURE_NOT_SUPPORTED',
    });
  });
});

describe('key pair generation', () => {
  it('generates-rsa-ec-and-ed25519-pairs', async () => {
    const p = await generateAsymmetricKeyPair({
      algorithm: CryptographicAlgorithm.EC,
      length: undefined,
      curve: RecommendedCurve.P_521,
    });
    assert.equal(p.privateKey.asymmetricKeyDetails?.namedCurve, 'secp521r1');
    const e = await generateAsymmetricKeyPair({
      algorithm: CryptographicAlgorithm.Ed25519,
      length: undefined,
      curve: undefined,
    });
    assert.equal(e.publicKey.asymmetricKeyType, 'ed25519');
    const r = await generateAsymmetricKeyPair({
      algorithm: CryptographicAlgorithm.RSA,
      length: 3072,
      curve: undefined,
    });
    assert.equal(r.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
  });

  it('refuses-weak-rsa-unknown-curves-and-algorithms', () => {
    assert.throws(
      () => checkKeyPairRequest({ algorithm: CryptographicAlgorithm.RSA, length: 1024, curve: undefined }),
      {
        code: 'KRY_OP_INVALID_FIELD',
      },
    );
    assert.throws(
      () => checkKeyPairRequest({ algorithm: CryptographicAlgorithm.RSA, length: 8192, curve: undefined }),
      {
        code: 'KRY_OP_INVALID_FIELD',
      },
    );
    assert.throws(
      () => checkKeyPairRequest({ algorithm: CryptographicAlgorithm.EC, length: 224, curve: undefined }),
      {
        code: 'KRY_OP_INVALID_FIELD',
      },
    );
    assert.throws(
      () => checkKeyPairRequest({ algorithm: CryptographicAlgorithm.DSA, length: 2048, curve: undefined }),
      {
        code: 'KRY_OP_FEATURE_NOT_SUPPORTED',
      },
    );
    assert.throws(() => checkKeyPairRequest({ algorithm: undefined, length: 2048, curve: undefined }), {
      code: 'KRY_OP_MISSING_DATA',
    });
  });
});
