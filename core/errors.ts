/**
 * Every coded error of Krypton, in one table (the fastify `FST_ERR_*` habit).
 *
 * Each entry has a stable code, the KMIP Result Reason the dispatcher answers with (CamelCase
 * name of the Result Reason enumeration, KMIP 2.1 §11.46) and a short message. Messages are
 * shown to clients: they never carry stack traces, SQL, file paths or key bytes.
 */

export type ResultReasonName =
  | 'ItemNotFound'
  | 'ResponseTooLarge'
  | 'AuthenticationNotSuccessful'
  | 'InvalidMessage'
  | 'OperationNotSupported'
  | 'MissingData'
  | 'InvalidField'
  | 'FeatureNotSupported'
  | 'OperationCanceledByRequester'
  | 'CryptographicFailure'
  | 'IllegalOperation'
  | 'PermissionDenied'
  | 'ObjectArchived'
  | 'IndexOutOfBounds'
  | 'KeyFormatTypeNotSupported'
  | 'KeyCompressionTypeNotSupported'
  | 'EncodingOptionError'
  | 'KeyValueNotPresent'
  | 'Sensitive'
  | 'NotExtractable'
  | 'ObjectAlreadyExists'
  | 'ObjectNotFound'
  | 'WrappingObjectNotFound'
  | 'WrappingObjectArchived'
  | 'WrappingObjectDestroyed'
  | 'InvalidObjectType'
  | 'WrongKeyLifecycleState'
  | 'ObjectDestroyed'
  | 'ConstraintViolation'
  | 'IncompatibleCryptographicUsageMask'
  | 'UnsupportedProtocolVersion'
  | 'ReadOnlyAttribute'
  | 'AttributeReadOnly'
  | 'AttributeSingleValued'
  | 'MultiValuedAttribute'
  | 'AttributeNotFound'
  | 'AttributeInstanceNotFound'
  | 'NonUniqueNameAttribute'
  | 'InvalidAttribute'
  | 'InvalidAttributeValue'
  | 'UsageLimitExceeded'
  | 'InvalidAsynchronousCorrelationValue'
  | 'InvalidCorrelationValue'
  | 'GeneralFailure';

export interface ErrorDefinition {
  readonly reason: ResultReasonName;
  readonly message: string;
}

function define<T extends Record<string, ErrorDefinition>>(table: T): Readonly<T> {
  return Object.freeze(table);
}

export const ERRORS = define({
  // --- TTLV codec (core/ttlv) -----------------------------------------------------------------
  KRY_TTLV_TRUNCATED: { reason: 'InvalidMessage', message: 'TTLV item truncated' },
  KRY_TTLV_FRAME_TOO_LARGE: { reason: 'InvalidMessage', message: 'TTLV frame exceeds the size limit' },
  KRY_TTLV_BAD_TAG: { reason: 'InvalidMessage', message: 'TTLV tag prefix is neither 0x42 nor 0x54' },
  KRY_TTLV_BAD_TYPE: { reason: 'InvalidMessage', message: 'TTLV item type is unknown' },
  KRY_TTLV_BAD_LENGTH: { reason: 'InvalidMessage', message: 'TTLV item length is invalid for its type' },
  KRY_TTLV_OVERRUN: {
    reason: 'InvalidMessage',
    message: 'TTLV item length overruns its enclosing structure',
  },
  KRY_TTLV_BAD_PADDING: { reason: 'InvalidMessage', message: 'TTLV padding bytes are not zero' },
  KRY_TTLV_BAD_BOOLEAN: { reason: 'InvalidMessage', message: 'TTLV Boolean is neither 0 nor 1' },
  KRY_TTLV_BAD_UTF8: { reason: 'InvalidMessage', message: 'TTLV Text String is not valid UTF-8' },
  KRY_TTLV_TOO_DEEP: { reason: 'InvalidMessage', message: 'TTLV nesting exceeds the depth limit' },
  KRY_TTLV_TRAILING_BYTES: { reason: 'InvalidMessage', message: 'bytes follow the TTLV item' },
  KRY_TTLV_VALUE_RANGE: { reason: 'InvalidField', message: 'value out of range for its TTLV type' },
  // --- KMIP JSON / XML encodings (core/encodings) ------------------------------------------------
  KRY_ENC_MALFORMED: { reason: 'InvalidMessage', message: 'message is not well-formed' },
  KRY_ENC_UNKNOWN_TAG: { reason: 'InvalidMessage', message: 'unknown tag name' },
  KRY_ENC_BAD_TYPE: { reason: 'InvalidMessage', message: 'unknown or missing item type' },
  KRY_ENC_BAD_VALUE: { reason: 'InvalidMessage', message: 'value does not match its item type' },
  KRY_ENC_UNKNOWN_ENUM: { reason: 'InvalidField', message: 'enumeration value is not defined for this tag' },
  KRY_ENC_UNKNOWN_MASK: { reason: 'InvalidField', message: 'mask bit is not defined for this tag' },
  KRY_ENC_TOO_DEEP: { reason: 'InvalidMessage', message: 'nesting exceeds the depth limit' },
  KRY_ENC_FORBIDDEN_KEY: { reason: 'InvalidMessage', message: 'forbidden property name' },
  // --- Message model (core/messages) ---------------------------------------------------------------
  KRY_MSG_INVALID: { reason: 'InvalidMessage', message: 'invalid KMIP message' },
  KRY_MSG_MISSING_FIELD: { reason: 'InvalidMessage', message: 'a required field is missing' },
  KRY_MSG_WRONG_TYPE: { reason: 'InvalidMessage', message: 'a field has the wrong item type' },
  KRY_MSG_REPEATED_FIELD: { reason: 'InvalidMessage', message: 'a single-valued field is repeated' },
  KRY_MSG_UNEXPECTED_FIELD: { reason: 'InvalidMessage', message: 'unexpected field' },
  KRY_MSG_UNDEFINED_ENUM: {
    reason: 'InvalidField',
    message: 'enumeration value is not defined for this field',
  },
  // A tag, enumeration value or attribute the request's version does not define (core/messages/in-version.ts).
  KRY_MSG_NOT_IN_VERSION: {
    reason: 'InvalidField',
    message: 'not defined in the protocol version of the request',
  },
  KRY_MSG_BAD_VERSION: { reason: 'UnsupportedProtocolVersion', message: 'protocol version not supported' },
  // --- Storage (storage-adapters) -------------------------------------------------------------------
  // No such object, or another tenant's: Object Not Found in 2.x, Item Not Found in 1.x (below).
  KRY_STORE_NOT_FOUND: { reason: 'ObjectNotFound', message: 'object not found' },
  KRY_STORE_USAGE_LIMIT: { reason: 'PermissionDenied', message: 'the usage limits are exhausted' },
  KRY_STORE_CONFLICT: { reason: 'IllegalOperation', message: 'the object was changed concurrently' },
  KRY_STORE_EXISTS: { reason: 'ObjectAlreadyExists', message: 'object already exists' },
  KRY_STORE_WRONG_STATE: {
    reason: 'WrongKeyLifecycleState',
    message: 'operation not allowed in the object state',
  },
  KRY_STORE_UNAVAILABLE: { reason: 'GeneralFailure', message: 'storage unavailable' },
  KRY_STORE_BAD_QUERY: { reason: 'InvalidField', message: 'invalid locate filter' },
  // --- HSM and key hierarchy (hsm-adapters, core/keys) ------------------------------------------
  KRY_HSM_UNAVAILABLE: { reason: 'CryptographicFailure', message: 'HSM unavailable' },
  KRY_HSM_KEY_NOT_FOUND: { reason: 'CryptographicFailure', message: 'HSM key not found' },
  KRY_HSM_REFUSED: { reason: 'CryptographicFailure', message: 'the HSM refused the operation' },
  KRY_HSM_MECHANISM_UNSUPPORTED: {
    reason: 'FeatureNotSupported',
    message: 'mechanism not supported by this HSM',
  },
  KRY_HSM_CONFIG: { reason: 'GeneralFailure', message: 'HSM configuration is invalid' },
  KRY_CRYPTO_FAILURE: { reason: 'CryptographicFailure', message: 'cryptographic operation failed' },
  KRY_KEY_ROOT_UNAVAILABLE: {
    reason: 'CryptographicFailure',
    message: 'the root key is unavailable: dependent keys cannot be used',
  },
  KRY_KEY_UNUSABLE: { reason: 'WrongKeyLifecycleState', message: 'key is not usable in its current state' },
  KRY_KEY_WRONG_LEVEL: { reason: 'IllegalOperation', message: 'key level not served here' },
  // --- Configuration (core/config) -------------------------------------------------------------
  KRY_CFG_NOT_FOUND: { reason: 'GeneralFailure', message: 'profile not found' },
  KRY_CFG_UNREADABLE: { reason: 'GeneralFailure', message: 'profile is not valid JSON' },
  KRY_CFG_INVALID: { reason: 'GeneralFailure', message: 'profile is invalid' },
  KRY_CFG_PLUGIN_LOAD: { reason: 'GeneralFailure', message: 'plugin could not be loaded' },
  KRY_WORKER_FAILED: { reason: 'GeneralFailure', message: 'a worker process did not start' },
  // --- Identity and authorization (core/auth) ----------------------------------------------------
  KRY_AUTH_NO_IDENTITY: {
    reason: 'AuthenticationNotSuccessful',
    message: 'no valid client identity was presented',
  },
  KRY_AUTH_BAD_CREDENTIAL: { reason: 'AuthenticationNotSuccessful', message: 'credential not accepted' },
  KRY_AUTH_PERMISSION_DENIED: { reason: 'PermissionDenied', message: 'operation not permitted' },
  KRY_AUTH_ASSERTION_REFUSED: {
    reason: 'PermissionDenied',
    message: 'identity assertion refused: only gateway identities may assert a client',
  },
  KRY_AUTH_MISCONFIGURED: { reason: 'GeneralFailure', message: 'authentication is misconfigured' },
  KRY_AUTH_PKI: { reason: 'GeneralFailure', message: 'certificate material is missing or invalid' },
  // --- Server, dispatcher and client (core/server, core/dispatch, core/client) ---------------
  KRY_SRV_OPERATION_NOT_SUPPORTED: { reason: 'OperationNotSupported', message: 'operation not supported' },
  KRY_SRV_BATCH_COUNT_MISMATCH: {
    reason: 'InvalidMessage',
    message: 'Batch Count does not match the number of batch items',
  },
  KRY_SRV_TOO_MANY_BATCH_ITEMS: { reason: 'InvalidMessage', message: 'too many batch items' },
  KRY_SRV_BATCH_ITEM_ID_MISSING: {
    reason: 'InvalidMessage',
    message: 'Unique Batch Item ID is required when a batch has several items',
  },
  KRY_SRV_BATCH_ITEM_ID_DUPLICATE: { reason: 'InvalidMessage', message: 'Unique Batch Item ID is repeated' },
  KRY_SRV_UNDO_NOT_SUPPORTED: {
    reason: 'FeatureNotSupported',
    message: 'Batch Error Continuation Option Undo is not supported',
  },
  KRY_SRV_ASYNC_NOT_SUPPORTED: {
    reason: 'FeatureNotSupported',
    message: 'asynchronous operations are not supported',
  },
  KRY_SRV_RESPONSE_TOO_LARGE: {
    reason: 'ResponseTooLarge',
    message: 'response exceeds Maximum Response Size',
  },
  KRY_SRV_NO_PLACEHOLDER: {
    reason: 'MissingData',
    message: 'no Unique Identifier and the ID placeholder is empty',
  },
  KRY_SRV_OPERATION_CONFLICT: { reason: 'GeneralFailure', message: 'operation registered twice' },
  KRY_SRV_MISSING_PAYLOAD: { reason: 'InvalidMessage', message: 'request payload is missing' },
  KRY_SRV_STOPPING: { reason: 'GeneralFailure', message: 'server is shutting down' },
  KRY_SRV_UNSUPPORTED_MEDIA: { reason: 'InvalidMessage', message: 'unsupported content type' },
  KRY_CLIENT_CLOSED: { reason: 'GeneralFailure', message: 'connection closed' },
  KRY_CLIENT_TIMEOUT: { reason: 'GeneralFailure', message: 'request timed out' },
  KRY_CLIENT_OPERATION_FAILED: { reason: 'GeneralFailure', message: 'operation failed' },
  KRY_CLIENT_HTTP_STATUS: {
    reason: 'GeneralFailure',
    message: 'HTTP transport answered with an error status',
  },
  KRY_CLIENT_NO_COMMON_VERSION: {
    reason: 'UnsupportedProtocolVersion',
    message: 'no protocol version in common with the server',
  },
  KRY_CLIENT_BAD_ARGUMENT: { reason: 'InvalidField', message: 'invalid client argument' },
  KRY_CLIENT_POOL_CLOSED: { reason: 'GeneralFailure', message: 'connection pool is closed' },
  KRY_CONFORMANCE_BAD_CASE: { reason: 'InvalidMessage', message: 'test-case file cannot be replayed' },
  KRY_AUDIT_UNAVAILABLE: { reason: 'GeneralFailure', message: 'audit unavailable' },
  KRY_AUDIT_CORRUPT: { reason: 'GeneralFailure', message: 'audit log is damaged' },
  KRY_AUDIT_LOCKED: { reason: 'GeneralFailure', message: 'audit log is in use by another process' },
  // --- Core operations (plugins, core/services) ---------------------------------------------------
  KRY_OP_L4_AT_CORE: {
    reason: 'PermissionDenied',
    message: 'L4 data keys are served by the gateway: the core neither creates, stores nor returns them',
  },
  KRY_OP_L2_NOT_EXPORTABLE: { reason: 'PermissionDenied', message: 'L2 tenant keys never leave the core' },
  KRY_OP_L3_GATEWAY_ONLY: {
    reason: 'PermissionDenied',
    message: 'L3 keys are returned only wrapped, and only to gateway identities',
  },
  // The key a Key Wrapping Specification or Key Wrapping Data names: missing or another tenant's.
  KRY_OP_WRAPPING_KEY_NOT_FOUND: { reason: 'WrappingObjectNotFound', message: 'wrapping key not found' },
  // The key a Key Wrapping Specification or Key Wrapping Data names exists but is destroyed / archived.
  KRY_OP_WRAPPING_KEY_DESTROYED: {
    reason: 'WrappingObjectDestroyed',
    message: 'the wrapping key is destroyed',
  },
  KRY_OP_WRAPPING_KEY_ARCHIVED: {
    reason: 'WrappingObjectArchived',
    message: 'the wrapping key is archived: Recover it first',
  },
  KRY_OP_INVALID_FIELD: { reason: 'InvalidField', message: 'invalid field' },
  KRY_OP_MISSING_DATA: { reason: 'MissingData', message: 'required data is missing' },
  // CS-BC-M-11..13 (KMIP 1.3-2.1 profiles): a Decrypt without the IV its mode needs.
  KRY_OP_MISSING_IV: { reason: 'InvalidMessage', message: 'the mode needs an IV/Counter/Nonce' },
  // CS-BC-M-GCM-1: an authentication tag length the cipher cannot produce.
  KRY_OP_TAG_LENGTH: { reason: 'GeneralFailure', message: 'invalid tag length: 4 to 16 bytes' },
  // QS-M-2 (KMIP 2.0/2.1 Quantum Safe profile): the key asked for would not be quantum safe.
  KRY_OP_NOT_QUANTUM_SAFE: { reason: 'GeneralFailure', message: 'not quantum safe: AES-256 only' },
  KRY_OP_FEATURE_NOT_SUPPORTED: { reason: 'FeatureNotSupported', message: 'feature not supported' },
  KRY_OP_OBJECT_TYPE: { reason: 'InvalidObjectType', message: 'operation not defined for this object type' },
  KRY_OP_OBJECT_TYPE_1X: {
    reason: 'IllegalOperation',
    message: 'operation not defined for this object type',
  },
  KRY_OP_USAGE_MASK: {
    reason: 'IncompatibleCryptographicUsageMask',
    message: 'the Cryptographic Usage Mask does not permit this operation',
  },
  KRY_OP_USAGE_MASK_1X: {
    reason: 'PermissionDenied',
    message: 'the Cryptographic Usage Mask does not permit this operation',
  },
  KRY_OP_KEY_FORMAT: { reason: 'KeyFormatTypeNotSupported', message: 'key format type not supported' },
  KRY_OP_ENCODING_OPTION: {
    reason: 'EncodingOptionError',
    message: 'the Encoding Option does not fit the wrapped Key Value',
  },
  KRY_OP_DESTROYED: {
    reason: 'WrongKeyLifecycleState',
    message: 'the object is destroyed: its key material is gone',
  },
  KRY_OP_WRONG_STATE_1X: { reason: 'PermissionDenied', message: 'wrong key lifecycle state' },
  KRY_OP_OBJECT_DESTROYED: { reason: 'ObjectDestroyed', message: 'the object is destroyed' },
  KRY_OP_NO_STORE: { reason: 'GeneralFailure', message: 'this profile has no storage: set storage.adapter' },
  // --- Attribute changes, Check, Archive, asynchronous operations (phases 3-4) -------------------
  // 2.x reasons and the 1.x reason the same refusal gets (KMIP 1.4 §11.15-11.17, 2.1 §6.1.x).
  KRY_ATTR_READ_ONLY: { reason: 'AttributeReadOnly', message: 'the attribute is read-only for clients' },
  KRY_ATTR_READ_ONLY_ADD: { reason: 'ReadOnlyAttribute', message: 'the attribute is read-only for clients' },
  KRY_ATTR_READ_ONLY_1X: { reason: 'PermissionDenied', message: 'the attribute is read-only for clients' },
  KRY_ATTR_SINGLE_VALUED: {
    reason: 'AttributeSingleValued',
    message: 'the attribute is single-valued and has a value',
  },
  KRY_ATTR_SINGLE_VALUED_1X: {
    reason: 'IllegalOperation',
    message: 'the attribute is single-valued and has a value',
  },
  KRY_ATTR_MULTI_VALUED: {
    reason: 'MultiValuedAttribute',
    message: 'the attribute has several values: name the one to change',
  },
  KRY_ATTR_NOT_FOUND: { reason: 'AttributeNotFound', message: 'the object has no such attribute' },
  KRY_ATTR_NOT_FOUND_1X: { reason: 'InvalidField', message: 'the object has no such attribute' },
  KRY_ATTR_INSTANCE_NOT_FOUND: {
    reason: 'AttributeInstanceNotFound',
    message: 'no value of the attribute matches',
  },
  KRY_ATTR_INSTANCE_NOT_FOUND_1X: { reason: 'ItemNotFound', message: 'no value of the attribute matches' },
  KRY_ATTR_NAME_NOT_UNIQUE: { reason: 'NonUniqueNameAttribute', message: 'another object has this Name' },
  KRY_ATTR_NAME_NOT_UNIQUE_1X: { reason: 'IllegalOperation', message: 'another object has this Name' },
  KRY_ATTR_NOT_APPLICABLE: {
    reason: 'InvalidAttribute',
    message: 'the attribute does not apply to this object',
  },
  KRY_ATTR_NOT_APPLICABLE_1X: {
    reason: 'PermissionDenied',
    message: 'the attribute does not apply to this object',
  },
  KRY_ATTR_BAD_VALUE: { reason: 'InvalidAttributeValue', message: 'invalid attribute value' },
  KRY_ATTR_BAD_VALUE_1X: { reason: 'InvalidField', message: 'invalid attribute value' },
  KRY_ATTR_INDEX_GIVEN: { reason: 'InvalidField', message: 'Add Attribute takes no Attribute Index' },
  KRY_ATTR_WRONG_STATE: {
    reason: 'WrongKeyLifecycleState',
    message: 'the attribute cannot change in the object state',
  },
  KRY_OP_ARCHIVED: { reason: 'ObjectArchived', message: 'the object is archived: Recover it first' },
  KRY_CHECK_USAGE_LIMIT: {
    reason: 'UsageLimitExceeded',
    message: 'the usage limits do not allow this amount',
  },
  KRY_CHECK_DENIED_1X: { reason: 'PermissionDenied', message: 'the object may not be used so' },
  KRY_CHECK_LEASE: {
    reason: 'PermissionDenied',
    message: 'the lease time asked exceeds what the server grants',
  },
  KRY_ASYNC_UNKNOWN: {
    reason: 'InvalidAsynchronousCorrelationValue',
    message: 'no outstanding operation has this Asynchronous Correlation Value',
  },
  KRY_ASYNC_UNKNOWN_1X: {
    reason: 'ItemNotFound',
    message: 'no outstanding operation has this Asynchronous Correlation Value',
  },
  KRY_ASYNC_CANCELED: { reason: 'OperationCanceledByRequester', message: 'the operation was canceled' },
  // --- Asymmetric keys, signatures, MAC, key formats (core/crypto, phase 3-4 core plugins) -------
  KRY_OP_SENSITIVE: {
    reason: 'Sensitive',
    message: 'the object is Sensitive: it is not returned in the clear',
  },
  KRY_OP_NOT_EXTRACTABLE: { reason: 'NotExtractable', message: 'the object is not Extractable' },
  KRY_OP_STREAMING: {
    reason: 'FeatureNotSupported',
    message: 'multi-part (Init/Final Indicator) requests are not supported: send the whole data at once',
  },
  // --- Multi-part operations (core/services/crypto-streams.ts) -----------------------------------
  KRY_STREAM_UNKNOWN: {
    reason: 'InvalidCorrelationValue',
    message: 'no open stream of this caller has this Correlation Value',
  },
  KRY_STREAM_UNKNOWN_1X: {
    reason: 'ItemNotFound',
    message: 'no open stream of this caller has this Correlation Value',
  },
  KRY_STREAM_LIMIT: {
    reason: 'PermissionDenied',
    message: 'too many open streams: finish one or let it expire',
  },
  KRY_STREAM_TOO_LARGE: {
    reason: 'PermissionDenied',
    message: 'the stream exceeds the server limit on its size',
  },
  // --- Gateway (core/gateway, plugins/gateway) ---------------------------------------------------
  KRY_GW_UPSTREAM_UNAVAILABLE: {
    reason: 'GeneralFailure',
    message: 'the core is unreachable from the gateway',
  },
  KRY_GW_UPSTREAM_TIMEOUT: {
    reason: 'GeneralFailure',
    message: 'the core did not answer within the gateway timeout',
  },
  KRY_GW_UPSTREAM_RESULT: { reason: 'GeneralFailure', message: 'the core refused the request' },
  KRY_GW_UPSTREAM_PROTOCOL: {
    reason: 'GeneralFailure',
    message: 'the core sent an answer the gateway cannot use',
  },
  KRY_GW_L3_NOT_CACHEABLE: {
    reason: 'PermissionDenied',
    message: 'the named key is not an L3 the gateway may cache',
  },
  // --- Generic -------------------------------------------------------------------------------------
  KRY_INTERNAL: { reason: 'GeneralFailure', message: 'internal error' },
});

export type ErrorCode = keyof typeof ERRORS;

/**
 * The reason a version answers with when it does not define the one an error carries. KMIP 2.0
 * added Object Not Found, Wrapping Object Not Found, Wrapping Object Destroyed, Wrapping Object
 * Archived and Unsupported Protocol Version (2.1 §11.46); 1.x says Item Not Found for a missing
 * object or wrapping key (1.4 §11, §11.12), Permission Denied for a wrapping key that exists but
 * cannot be used for wrapping (1.4 §11.12: a destroyed or archived one) and Invalid Message for a
 * version it cannot serve.
 * Any other reason a version lacks becomes General Failure. The dispatcher applies this to every
 * answer, so no handler picks these reasons by version.
 */
export const REASON_IN_OLDER_VERSIONS: Readonly<Partial<Record<ResultReasonName, ResultReasonName>>> =
  Object.freeze({
    ObjectNotFound: 'ItemNotFound',
    WrappingObjectNotFound: 'ItemNotFound',
    WrappingObjectDestroyed: 'PermissionDenied',
    WrappingObjectArchived: 'PermissionDenied',
    UnsupportedProtocolVersion: 'InvalidMessage',
  });

export interface KryptonErrorDetails {
  /** Byte offset in the input where a decoder stopped, when known. */
  offset?: number;
  /** Path of the offending field or element, e.g. `RequestMessage/BatchItem[0]/Operation`. */
  field?: string;
}

/** A coded error: the server maps `reason` to Result Reason and `message` to Result Message. */
export class KryptonError extends Error {
  readonly code: ErrorCode;
  readonly reason: ResultReasonName;
  readonly offset: number | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, detail?: string, details: KryptonErrorDetails = {}) {
    const def = ERRORS[code];
    super(detail ? `${def.message}: ${detail}` : def.message);
    this.name = 'KryptonError';
    this.code = code;
    this.reason = def.reason;
    this.offset = details.offset;
    this.field = details.field;
  }
}

export function isKryptonError(err: unknown): err is KryptonError {
  return err instanceof KryptonError;
}
