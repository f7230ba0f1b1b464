export * from './types.js';
export { decodeTtlv, bigIntFromTwosComplement, DEFAULT_MAX_DEPTH, type DecodeOptions } from './decoder.js';
export { encodeTtlv, bigIntToTwosComplement } from './encoder.js';
export { TtlvFrameReader, DEFAULT_MAX_FRAME_BYTES, type FrameReaderOptions } from './frame-reader.js';
export * from './tree.js';
