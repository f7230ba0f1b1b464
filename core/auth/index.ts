// pki.ts is left out on purpose: it loads @peculiar/x509, which the request path never needs.
export * from './identity.js';
export * from './credentials.js';
