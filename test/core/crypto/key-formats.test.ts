/** Key Format Type conversions: every format a key kind offers converts there and back. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  exportPrivateKey,
  exportPublicKey,
  importPrivateKey,
  importPublicKey,
  keyProfile,
  privateKeyFormats,
  publicKeyFormats,
} from '../../../core/crypto/key-formats.js';
import { CryptographicAlgorithm, KeyFormatType, RecommendedCurve, Tag } from '../../../core/spec/index.js';
import { byteString } from '../../../core/ttlv/tree.js';

const pairs = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  'ec-p256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  'ec-p384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
  'ec-p521': generateKeyPairSync('ec', { namedCurve: 'secp521r1' }),
  ed25519: generateKeyPairSync('ed25519'),
};

describe('key formats', () => {
  for (const [name, pair] of Object.entries(pairs)) {
    const profile = keyProfile(pair.privateKey);
    it(`${name}-private-key-round-trips-through-every-offered-format`, () => {
      const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
      for (const format of privateKeyFormats(profile.kind)) {
        const material = exportPrivateKey(pair.privateKey, format);
        const back = importPrivateKey(format, material, profile.algorithm);
        assert.deepEqual(back.export({ format: 'der', type: 'pkcs8' }), pkcs8, `format ${format}`);
      }
    });
    it(`${name}-public-key-round-trips-through-every-offered-format`, () => {
      const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
      for (const format of publicKeyFormats(profile.kind)) {
        const material = exportPublicKey(pair.publicKey, format);
        const back = importPublicKey(format, material, profile.algorithm);
        assert.deepEqual(back.export({ format: 'der', type: 'spki' }), spki, `format ${format}`);
      }
    });
  }

  it('reports-algorithm-length-and-curve', () => {
    assert.deepEqual(keyProfile(pairs.rsa.publicKey), {
      kind: 'rsa',
      algorithm: CryptographicAlgorithm.RSA,
      length: 2048,
      curve: undefined,
    });
    assert.equal(keyProfile(pairs['ec-p384'].privateKey).curve, RecommendedCurve.P_384);
    assert.equal(keyProfile(pairs['ec-p521'].privateKey).length, 521);
    assert.equal(keyProfile(pairs.ed25519.publicKey).algorithm, CryptographicAlgorithm.Ed25519);
  });

  it('refuses-a-format-that-does-not-fit-the-key', () => {
    assert.throws(() => exportPrivateKey(pairs['ec-p256'].privateKey, KeyFormatType.PKCS_1), {
      code: 'KRY_OP_KEY_FORMAT',
    });
    assert.throws(() => exportPublicKey(pairs.rsa.publicKey, KeyFormatType.Raw), {
      code: 'KRY_OP_KEY_FORMAT',
    });
    assert.throws(() => importPrivateKey(KeyFormatType.Raw, byteString(Tag.KeyMaterial, Buffer.alloc(32))), {
      code: 'KRY_OP_KEY_FORMAT',
    });
  });

  it('malformed-material-is-invalid-field-and-names-no-bytes', () => {
    const junk = Buffer.from('3082deadbeef', 'hex');
    assert.throws(
      () => importPrivateKey(KeyFormatType.PKCS_8, byteString(Tag.KeyMaterial, junk)),
      (err: Error & { code?: string }) =>
        err.code === 'KRY_OP_INVALID_FIELD' && !err.message.includes('dead'),
    );
    assert.throws(() => importPublicKey(KeyFormatType.X_509, byteString(Tag.KeyMaterial, junk)), {
      code: 'KRY_OP_INVALID_FIELD',
    });
  });
});
