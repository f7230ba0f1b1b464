/**
 * Mechanism profiles of the PKCS#11 adapter: which mechanisms a token family offers, how root
 * keys are generated there, and which attributes an existing key must have to be trusted.
 * `standardPkcs11Profile` fits SoftHSM2 and any token with CKM_AES_KEY_WRAP_PAD and CKM_AES_GCM;
 * the YubiHSM 2 profile lives in yubihsm.ts.
 */
import type { HsmDataMechanism, HsmKeyPurpose, HsmKeyWrapMechanism } from './hsm.js';
import type { Pkcs11Js } from './pkcs11-module-registry.js';

type Template = Parameters<InstanceType<Pkcs11Js['PKCS11']>['C_CreateObject']>[1];

export interface Pkcs11MechanismProfile {
  /** Preset name, reported as `pkcs11/<name>` by `mechanisms()`. */
  readonly name: string;
  readonly keyWrap: HsmKeyWrapMechanism;
  readonly dataEncryption: HsmDataMechanism;
  readonly wrapIsRfc5649: boolean;
  readonly maxWrapInputBytes: number;
  /** Mechanism numbers the token must list (C_GetMechanismList) or `open()` fails. */
  requiredMechanisms(p11: Pkcs11Js): readonly number[];
  /** Key generation: mechanism and template of a new key (label added by the adapter). */
  generation(p11: Pkcs11Js, purpose: HsmKeyPurpose): { mechanism: number; template: Template };
  /** Boolean attributes an existing key must carry, checked before its first use. */
  expectedFlags(p11: Pkcs11Js, purpose: HsmKeyPurpose): ReadonlyArray<readonly [number, boolean]>;
}

/** RFC 5649 key wrap (CKM_AES_KEY_WRAP_PAD) for L2, AES-GCM for data: SoftHSM2 and most tokens. */
export const standardPkcs11Profile: Pkcs11MechanismProfile = Object.freeze({
  name: 'standard',
  keyWrap: 'AES_KEY_WRAP_PAD',
  dataEncryption: 'AES_GCM',
  wrapIsRfc5649: true,
  maxWrapInputBytes: 512,
  requiredMechanisms: (p11: Pkcs11Js) => [p11.CKM_AES_KEY_GEN, p11.CKM_AES_KEY_WRAP_PAD, p11.CKM_AES_GCM],
  generation(p11: Pkcs11Js, purpose: HsmKeyPurpose) {
    const wrap = purpose === 'wrap';
    return {
      mechanism: p11.CKM_AES_KEY_GEN,
      template: [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_PRIVATE, value: true },
        { type: p11.CKA_SENSITIVE, value: true },
        { type: p11.CKA_EXTRACTABLE, value: false },
        { type: p11.CKA_MODIFIABLE, value: false },
        { type: p11.CKA_WRAP, value: wrap },
        { type: p11.CKA_UNWRAP, value: wrap },
        { type: p11.CKA_ENCRYPT, value: !wrap },
        { type: p11.CKA_DECRYPT, value: !wrap },
        { type: p11.CKA_SIGN, value: false },
        { type: p11.CKA_VERIFY, value: false },
        { type: p11.CKA_DERIVE, value: false },
      ],
    };
  },
  expectedFlags(p11: Pkcs11Js, purpose: HsmKeyPurpose) {
    const wrap = purpose === 'wrap';
    return [
      [p11.CKA_SENSITIVE, true],
      [p11.CKA_EXTRACTABLE, false],
      [p11.CKA_WRAP, wrap],
      [p11.CKA_UNWRAP, wrap],
      [p11.CKA_ENCRYPT, !wrap],
      [p11.CKA_DECRYPT, !wrap],
    ] as const;
  },
});
