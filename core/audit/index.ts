export * from './jsonl-sink.js';
export * from './record.js';
export * from './verify.js';
export * from './hook.js';
