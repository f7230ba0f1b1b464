export * from './message.js';
export { readFields, nameOf, type FieldSpec, type FieldValues } from './fields.js';
export { notInVersion } from './in-version.js';
