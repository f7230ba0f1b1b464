/**
 * HSM adapters, loaded lazily from a frozen name → loader map (the knex dialect habit), so the
 * pkcs11js native addon is only loaded when a PKCS#11 adapter is chosen.
 */
import type { Hsm } from './hsm.js';
import type { Pkcs11HsmOptions } from './pkcs11.js';
import type { SoftwareHsmOptions } from './software.js';
import type { YubiHsmOptions } from './yubihsm.js';

export type { Hsm, HsmKeyPurpose, HsmKeyRef, HsmMechanisms, KryptonLogger } from './hsm.js';
export type { SecretSource } from './secret-source.js';

export type HsmAdapterConfig =
  | ({ readonly adapter: 'pkcs11' } & Pkcs11HsmOptions)
  | ({ readonly adapter: 'yubihsm2' } & YubiHsmOptions)
  | ({ readonly adapter: 'software' } & SoftwareHsmOptions);

export const hsmAdapterLoaders = Object.freeze({
  pkcs11: async (config: Pkcs11HsmOptions): Promise<Hsm> =>
    new (await import('./pkcs11.js')).Pkcs11Hsm(config),
  yubihsm2: async (config: YubiHsmOptions): Promise<Hsm> =>
    (await import('./yubihsm.js')).createYubiHsm(config),
  software: async (config: SoftwareHsmOptions): Promise<Hsm> =>
    new (await import('./software.js')).SoftwareHsm(config),
});

/** Builds (does not open) the adapter a profile names. */
export function createHsm(config: HsmAdapterConfig): Promise<Hsm> {
  switch (config.adapter) {
    case 'pkcs11':
      return hsmAdapterLoaders.pkcs11(config);
    case 'yubihsm2':
      return hsmAdapterLoaders.yubihsm2(config);
    case 'software':
      return hsmAdapterLoaders.software(config);
  }
}
