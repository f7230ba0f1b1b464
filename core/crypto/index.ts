export { aesCmac, aesCmacVerify, cmacSubkeys } from './cmac.js';
export {
  curveByBits,
  curveByKmip,
  exportPrivateKey,
  exportPublicKey,
  importPrivateKey,
  importPublicKey,
  isEcAlgorithm,
  keyProfile,
  privateKeyDer,
  privateKeyFormats,
  privateKeyFromDer,
  publicKeyDer,
  publicKeyFormats,
  publicKeyFromDer,
  type AsymmetricKind,
  type KeyProfile,
} from './key-formats.js';
export {
  checkKeyPairRequest,
  generateAsymmetricKeyPair,
  RSA_MAX_BITS,
  RSA_MIN_BITS,
  type GeneratedKeyPair,
  type KeyPairRequest,
} from './key-pairs.js';
export { computeMac, isHmacAlgorithm, macAlgorithm, verifyMac } from './mac.js';
export {
  hashName,
  signatureScheme,
  signWith,
  verifyWith,
  type SignatureParameters,
  type SignatureScheme,
} from './signatures.js';
export {
  oaepScheme,
  rsaDecrypt,
  rsaEncrypt,
  type OaepScheme,
  type RsaEncryptionParameters,
} from './rsa-encryption.js';
