/**
 * Request builders for the phase 3-4 asymmetric and MAC operations (Register of every object
 * type, Create Key Pair, Re-key Key Pair, Sign, Signature Verify, MAC, MAC Verify) on the core
 * harness of support.ts, with those plugins loaded beside the phase 1-2 ones.
 */
import { writeAttributes } from '../../core/attributes/index.js';
import { KeyFormatType, Tag, type KmipVersion } from '../../core/spec/index.js';
import { byteString, enumeration, integer, structure } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import { ObjectType } from '../../storage-adapters/index.js';
import {
  CORE_PLUGINS,
  call,
  openHarness,
  textOf,
  type Adapter,
  type AttrSpec,
  type CoreHarness,
} from './support.js';
import type { Identity } from '../../core/auth/identity.js';

export const ASYMMETRIC_PLUGINS = [
  'create-key-pair',
  're-key-key-pair',
  'sign',
  'signature-verify',
  'mac',
  'mac-verify',
] as const;

export function openAsymmetricHarness(adapter: Adapter): Promise<CoreHarness> {
  return openHarness(adapter, { plugins: [...CORE_PLUGINS, ...ASYMMETRIC_PLUGINS] });
}

/** KMIP 2.1 §11.13 / §11.12 values used by the tests. */
export const Alg = { AES: 3, RSA: 4, ECDSA: 6, HMAC_SHA256: 9, EC: 0x1a, Ed25519: 0x37 } as const;
export const Mask = {
  Sign: 1,
  Verify: 2,
  Encrypt: 4,
  Decrypt: 8,
  MACGenerate: 0x80,
  MACVerify: 0x100,
} as const;

export function attributesItem(version: KmipVersion, attrs: readonly AttrSpec[], tag?: number): TtlvItem {
  const v2 = version.startsWith('2.');
  return structure(
    tag ?? (v2 ? Tag.Attributes : Tag.TemplateAttribute),
    writeAttributes(attrs, version, false, { anyValue: true }),
  );
}

export function keyBlock(
  format: number,
  material: TtlvItem | Uint8Array,
  algorithm?: number,
  length?: number,
): TtlvItem {
  const m = material instanceof Uint8Array ? byteString(Tag.KeyMaterial, material) : material;
  return structure(Tag.KeyBlock, [
    enumeration(Tag.KeyFormatType, format),
    structure(Tag.KeyValue, [m]),
    ...(algorithm !== undefined ? [enumeration(Tag.CryptographicAlgorithm, algorithm)] : []),
    ...(length !== undefined ? [integer(Tag.CryptographicLength, length)] : []),
  ]);
}

/** Register; returns the identifier or throws with the reason. */
export async function registerOk(
  h: CoreHarness,
  who: Identity,
  version: KmipVersion,
  objectType: number,
  object: TtlvItem,
  attrs: AttrSpec[] = [],
): Promise<string> {
  const r = await call(h, who, version, 'Register', [
    enumeration(Tag.ObjectType, objectType),
    attributesItem(version, attrs),
    object,
  ]);
  if (r.resultStatus !== 0) throw new Error(`Register failed: ${r.reasonName} ${r.resultMessage}`);
  return textOf(r.payload, Tag.UniqueIdentifier)!;
}

export function privateKeyItem(
  der: Uint8Array,
  format: number = KeyFormatType.PKCS_8,
  algorithm?: number,
  length?: number,
): TtlvItem {
  return structure(Tag.PrivateKey, [keyBlock(format, der, algorithm, length)]);
}

export function publicKeyItem(
  der: Uint8Array,
  format: number = KeyFormatType.X_509,
  algorithm?: number,
  length?: number,
): TtlvItem {
  return structure(Tag.PublicKey, [keyBlock(format, der, algorithm, length)]);
}

export function activeNow(extra: AttrSpec[] = []): AttrSpec[] {
  return [{ name: 'ActivationDate', value: new Date(Date.now() - 3600_000) }, ...extra];
}

export { ObjectType };
