/**
 * One sentence per profile setting, for docs/configuration.md. A `description` keyword on the
 * schema node (core/config/schema.ts) wins over this table; a setting with neither fails the
 * generated-docs check, so a new setting cannot land undocumented.
 */
export const SETTING_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  $schema: 'Optional URL of a JSON schema, for editors; ignored by Krypton.',
  name: 'Name of the deployment, shown in logs, metrics and the start-up banner.',
  role: 'What the process serves: `core` (L2/L3 authority), `gateway` (L4 hot path, proxies the rest) or `standalone` (both in one process).',
  phases: 'Delivery phases whose operation plugins are loaded; a plugin of another phase is skipped.',
  plugins:
    'Operation plugins to load: `builtin:<name>` (plugins/<name>.js), an npm package name, or a file path relative to the profile; a string or `{ module, options }`.',
  'plugins[].module': 'The plugin module: `builtin:<name>`, an npm package name, or a path.',
  'plugins[].options': "Options handed to the plugin's `kryptonPlugin` fastify registration.",
  stateDir:
    'Folder holding the development PKI, the SQLite file, the software HSM and the audit log; relative to the working directory.',
  workers:
    'Processes serving this profile on shared ports (node:cluster); the primary serves the admin listener and restarts a worker that dies. More than one needs PostgreSQL for a core store; each worker writes its own audit file `<audit.path>` → `<name>.w<N><ext>`; asynchronous operations run synchronously.',
  listeners: 'The three listeners: KMIP TTLV over TLS, KMIP over HTTPS, and the admin endpoints.',
  'listeners.ttlv': 'KMIP TTLV over mutual TLS (KMIP 1.4 §10, 2.1 §14).',
  'listeners.ttlv.enabled': 'Open the TTLV listener.',
  'listeners.ttlv.host': 'Address to bind; `0.0.0.0` to accept connections from other hosts.',
  'listeners.ttlv.port': 'TCP port (5696 is the IANA port of KMIP); 0 picks a free port.',
  'listeners.https': '`POST /kmip` over HTTPS with TTLV, KMIP JSON or KMIP XML bodies.',
  'listeners.https.enabled': 'Open the HTTPS listener.',
  'listeners.https.host': 'Address to bind.',
  'listeners.https.port': 'TCP port; 0 picks a free port.',
  'listeners.https.bodyLimit': 'Largest request body accepted, in bytes.',
  'listeners.https.requestTimeoutMs': 'Deadline for a whole HTTPS request, in milliseconds.',
  'listeners.admin':
    'Plain HTTP `/healthz`, `/readyz` and Prometheus `/metrics`; keep it on a private address.',
  'listeners.admin.enabled': 'Open the admin listener.',
  'listeners.admin.host': 'Address to bind (probes and the metrics scraper must reach it).',
  'listeners.admin.port': 'TCP port; 0 picks a free port.',
  tls: 'Server certificate and client-certificate verification for the TTLV and HTTPS listeners.',
  'tls.cert': 'Server certificate chain (PEM); relative to `stateDir`.',
  'tls.key': 'Private key of the server certificate (PEM); relative to `stateDir`.',
  'tls.ca': 'CA bundle (PEM) that client certificates must chain to; relative to `stateDir`.',
  'tls.requireClientCert': 'Mutual TLS: refuse a handshake without a client certificate signed by `tls.ca`.',
  'tls.minVersion': 'Oldest TLS version accepted.',
  auth: 'Who a client is (certificate or credential) and what it may do.',
  'auth.principalFrom':
    'Which certificate field names the principal: the subject CN, a DNS SAN or a URI SAN (SPIFFE).',
  'auth.defaultTenant': 'Tenant of a principal not listed in `auth.principals`.',
  'auth.defaultPermissions':
    'Permissions of an authenticated principal not listed in `auth.principals` (`*` grants every permission).',
  'auth.principals': 'Per-principal policy, keyed by principal name.',
  'auth.principals.<name>.tenant': 'Tenant the principal is scoped to.',
  'auth.principals.<name>.permissions': 'Permissions of the principal (operation descriptors name them).',
  'auth.principals.<name>.gateway':
    'The principal is a gateway: it may fetch wrapped L3 keys and assert a forwarded client identity.',
  'auth.credentials': 'KMIP Credential (Username and Password) verification.',
  'auth.credentials.verifier':
    '`none`, `static` (the users below) or a module exporting `createCredentialVerifier`.',
  'auth.credentials.required':
    'A request must carry a Credential even when the TLS peer presented a certificate.',
  'auth.credentials.users': 'Users of the `static` verifier, keyed by username.',
  'auth.credentials.users.<name>.password':
    'Password hash `scrypt:<salt hex>:<hash hex>` (core/auth/credentials.ts `hashPassword`), never the password.',
  'auth.credentials.users.<name>.tenant': 'Tenant of the user.',
  'auth.credentials.users.<name>.permissions': 'Permissions of the user.',
  limits: 'Resource limits, enforced before any allocation they guard.',
  'limits.maxFrameBytes': 'Largest TTLV message; refused right after its 8-byte header.',
  'limits.maxDepth': 'Deepest structure nesting a decoder accepts.',
  'limits.maxBatchItems': 'Most batch items in one request message.',
  'limits.maxResponseBytes': 'Largest response; a larger one is answered with Response Too Large.',
  'limits.handshakeTimeoutMs': 'Deadline for a TLS handshake, in milliseconds.',
  'limits.idleTimeoutMs': 'A TTLV connection without traffic for this long is closed.',
  'limits.requestTimeoutMs': 'Deadline for a whole TTLV request once its first byte arrived.',
  'limits.maxConnections': 'Open TTLV connections at most, over all peers.',
  'limits.maxConnectionsPerPeer': 'Open TTLV connections at most from one peer address.',
  'limits.shutdownGraceMs': 'On SIGTERM, how long in-flight requests may finish before connections are cut.',
  'limits.maxStreams':
    'Open multi-part operations (Init/Final Indicator, Correlation Value) at most, over all clients.',
  'limits.maxStreamsPerIdentity': 'Open multi-part operations at most per client identity.',
  'limits.streamIdleTimeoutMs':
    'A multi-part operation without a part for this long ends (its state dropped).',
  'limits.maxStreamBytes': 'Input bytes one multi-part operation may carry over all its parts.',
  'limits.maxStreamBufferedBytes':
    'Bytes a multi-part operation may hold until its final part (Ed25519, GCM Decrypt).',
  logging: 'pino JSON logs on standard output (key material and secrets are redacted).',
  'logging.level': 'Lowest level written.',
  'logging.pretty': '`auto`: human-readable when standard output is a terminal; `true`/`false` force it.',
  storage: 'Where managed objects live; without `adapter` the process has no store (a bare framework).',
  'storage.adapter':
    '`sqlite` (embedded, one process) or `postgres` (production, several cores share one database).',
  'storage.file': 'SQLite: database file [`<stateDir>/krypton.db`].',
  'storage.url':
    'PostgreSQL: connection URL (prefer `urlFile`, which keeps the password out of the profile).',
  'storage.urlFile': 'PostgreSQL: file holding the connection URL; relative to the working directory.',
  'storage.schema': 'PostgreSQL: schema holding the tables.',
  'storage.maxLocateItems': 'Server cap on the number of identifiers one Locate returns.',
  hsm: 'Where L1 (the root key) lives; L1 never leaves the HSM.',
  'hsm.adapter':
    '`pkcs11` (SoftHSM2, any PKCS#11 HSM), `yubihsm2` (the YubiHSM 2 preset) or `software` (development only, unsafe).',
  'hsm.file': 'software: encrypted root-key file [`<stateDir>/hsm/software-hsm.bin`].',
  'hsm.passphraseFile':
    'software: file holding the passphrase [`<stateDir>/hsm/passphrase`, generated with mode 0600].',
  'hsm.passphraseEnv': 'software: environment variable holding the passphrase.',
  'hsm.module': 'pkcs11 / yubihsm2: path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).',
  'hsm.tokenLabel': 'pkcs11 / yubihsm2: label of the token holding L1.',
  'hsm.pinEnv': 'pkcs11: environment variable holding the user PIN (never the PIN in the profile).',
  'hsm.pinFile': 'pkcs11: file holding the user PIN.',
  'hsm.connectorUrl': 'yubihsm2: URL of yubihsm-connector (e.g. `http://127.0.0.1:12345`).',
  'hsm.authKeyId': 'yubihsm2: id of the authentication key the session opens with.',
  'hsm.passwordEnv': 'yubihsm2: environment variable holding the authentication-key password.',
  'hsm.passwordFile': 'yubihsm2: file holding the authentication-key password.',
  keys: 'The key hierarchy service (L1 → L2 → L3 wrap chains and the unwrapped-key cache).',
  'keys.rootKeyLabel': 'HSM label of the current L1 root key.',
  'keys.cacheTtlMs': 'How long an unwrapped L2/L3 key stays in RAM after its last use.',
  'keys.cacheMaxEntries': 'Most unwrapped keys held in RAM.',
  'keys.rootCheckIntervalMs': 'How often L1 is probed in the HSM (readiness); 0 turns the probe off.',
  upstream: 'Gateway: how to reach the core (open section, validated by the gateway plugins).',
  audit: 'The audit trail: one hash-chained JSON record per request, written before its response.',
  'audit.enabled': 'Write audit records.',
  'audit.path': 'Audit log file (JSON lines); relative to `stateDir`.',
  'audit.fsync':
    '`always`: fsync before answering; `interval`: every `fsyncIntervalMs`; `none`: leave it to the OS.',
  'audit.fsyncIntervalMs': 'fsync period when `fsync` is `interval`.',
  'audit.failClosed': 'Refuse requests when an audit record cannot be written.',
});
