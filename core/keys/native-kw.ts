/**
 * The optional native AES key wrap (native/aes_kw.c): KW and KWP on the CPU's AES instructions,
 * for keys that stay in memory (core/keys/aes-key-wrap.ts uses it for held keys: the gateway's
 * cached L3s). OpenSSL's wrap ciphers run the block cipher through portable table code, about
 * 3.5 µs to wrap and 6 µs to unwrap a 32-byte key; this runs both in about 0.6 µs.
 *
 * It is built by `npm run build` (native/build.mjs) where a C compiler and Node's headers are at
 * hand, and used only when all of these hold: it loaded, the CPU has AES-NI, a self-test at load
 * matches OpenSSL byte for byte (RFC 3394/5649 vectors, random keys of each size, tampered input),
 * and `KRYPTON_NATIVE_KEY_WRAP` is not `off`. Otherwise key wraps run on OpenSSL as before; so
 * does any input the native code declines (lengths outside 16..4,096 bytes) and any unwrap that
 * fails its integrity check, so errors are exactly OpenSSL's.
 *
 * A key schedule is a Buffer the owner of the key holds and zeroes with the key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFresh } from './kw-openssl.js';

interface Binding {
  readonly available: boolean;
  readonly scheduleBytes: number;
  schedule(key: Uint8Array, out: Buffer): void;
  run(schedule: Buffer, mode: number, data: Buffer, length: number, out: Buffer): number;
}

const ADDON = join('native', 'build', 'Release', 'krypton_aes_kw.node');

/**
 * native/build/Release/… of this package: the addon is looked for only at the root of Krypton's
 * own package (the nearest package.json above this module, dist/ or a build directory, naming
 * krypton-kmip), never in a directory of whoever installed it.
 */
function addonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 8; up++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name !== 'krypton-kmip')
          return undefined;
      } catch {
        return undefined;
      }
      const candidate = join(dir, ADDON);
      return existsSync(candidate) ? candidate : undefined;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

const MODE_UNWRAP = 1;
const MODE_PADDED = 2;

/** RFC 3394 §4.6 and RFC 5649 §6 known answers, then random agreement with OpenSSL. */
function selfTest(b: Binding): string | undefined {
  const hex = (s: string) => Buffer.from(s, 'hex');
  const known: [string, number, string, string][] = [
    [
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      0,
      '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
      '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
    ],
    [
      '000102030405060708090a0b0c0d0e0f',
      0,
      '00112233445566778899aabbccddeeff',
      '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5',
    ],
    [
      '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
      MODE_PADDED,
      'c37b7e6492584340bed12207808941155068f738',
      '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a',
    ],
    [
      '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
      MODE_PADDED,
      '466f7250617369',
      'afbeb0f07dfbf5419200f2ccb50bb24f',
    ],
  ];
  const schedule = Buffer.alloc(b.scheduleBytes);
  const out = Buffer.alloc(4200);
  const run = (mode: number, data: Buffer) =>
    Buffer.from(out.subarray(0, b.run(schedule, mode, data, data.length, out)));
  for (const [key, mode, plain, wrapped] of known) {
    b.schedule(hex(key), schedule);
    if (!run(mode, hex(plain)).equals(hex(wrapped))) return `known answer failed (${key.length * 4}-bit key)`;
    if (!run(mode | MODE_UNWRAP, hex(wrapped)).equals(hex(plain))) return 'known answer unwrap failed';
  }
  for (const keyBytes of [16, 24, 32]) {
    const key = randomBytes(keyBytes);
    b.schedule(key, schedule);
    for (const length of [1, 7, 8, 9, 16, 24, 32, 33, 64, 200]) {
      for (const padded of length % 8 === 0 && length >= 16 ? [false, true] : [true]) {
        const mode = padded ? MODE_PADDED : 0;
        const data = randomBytes(length);
        const wrapped = runFresh(key, padded, false, data);
        if (!run(mode, data).equals(wrapped)) return `wrap differs from OpenSSL (${keyBytes}-byte key)`;
        if (!run(mode | MODE_UNWRAP, wrapped).equals(data)) return 'unwrap differs from OpenSSL';
        const tampered = Buffer.from(wrapped);
        tampered[length % tampered.length]! ^= 0x10;
        if (b.run(schedule, mode | MODE_UNWRAP, tampered, tampered.length, out) !== 0)
          return 'tampered input accepted';
      }
    }
    key.fill(0);
  }
  schedule.fill(0);
  out.fill(0);
  return undefined;
}

function load(): { binding?: Binding; status: string } {
  if (process.env.KRYPTON_NATIVE_KEY_WRAP === 'off') return { status: 'off (KRYPTON_NATIVE_KEY_WRAP=off)' };
  const path = addonPath();
  if (path === undefined)
    return { status: 'not built (npm run build builds it where a C compiler is present)' };
  let binding: Binding;
  try {
    binding = createRequire(import.meta.url)(path) as Binding;
  } catch (err) {
    return { status: `not loadable: ${(err as Error).message.split('\n')[0]}` };
  }
  if (!binding.available) return { status: 'off: this CPU has no AES-NI' };
  try {
    const failed = selfTest(binding);
    return failed === undefined
      ? { binding, status: 'on (AES-NI)' }
      : { status: `off: self-test: ${failed}` };
  } catch (err) {
    return { status: `off: self-test threw: ${(err as Error).message}` };
  }
}

const loaded = load();
const binding = loaded.binding;

/** Whether held keys wrap natively, and if not, why: for the startup log, metrics and tests. */
export const nativeKeyWrapStatus: string = loaded.status;
export const nativeKeyWrap: boolean = binding !== undefined;

/** The key schedule of an AES-128/192/256 key, or undefined when the native code is not in use. */
export function nativeSchedule(key: Uint8Array): Buffer | undefined {
  if (binding === undefined || (key.length !== 16 && key.length !== 24 && key.length !== 32))
    return undefined;
  const schedule = Buffer.alloc(binding.scheduleBytes);
  try {
    binding.schedule(key, schedule);
    return schedule;
  } catch {
    schedule.fill(0);
    return undefined;
  }
}

/** Largest input the native code takes (4,096 bytes of key and the IV block); more goes to OpenSSL. */
const MAX_INPUT = 4104;

/**
 * The input is copied here first: the addon reads a Buffer outside V8's heap directly, while a
 * small Uint8Array (the decoder's Byte Strings) would first be moved off the heap by V8 on every
 * call. Cleared after each call: it may hold a key.
 */
const stage = Buffer.alloc(MAX_INPUT);

/**
 * One KW/KWP wrap or unwrap under `schedule`; undefined when the native code declines the input
 * or the unwrap fails its integrity check (the caller then asks OpenSSL, which gives its error).
 */
export function nativeKeyWrapRun(
  schedule: Buffer,
  padded: boolean,
  decrypt: boolean,
  data: Uint8Array,
): Buffer | undefined {
  const n = data.length;
  if (n > MAX_INPUT || (decrypt && n < 16)) return undefined;
  // Exactly the usual result length: the wrapped key, or the unwrapped key without KWP padding.
  const expected = decrypt ? n - 8 : ((n + 7) & ~7) + 8;
  const out = Buffer.allocUnsafe(expected);
  if (n <= 64) for (let i = 0; i < n; i++) stage[i] = data[i]!;
  else stage.set(data);
  let length: number;
  try {
    length = binding!.run(schedule, (padded ? MODE_PADDED : 0) | (decrypt ? MODE_UNWRAP : 0), stage, n, out);
  } finally {
    if (n <= 64) for (let i = 0; i < n; i++) stage[i] = 0;
    else stage.fill(0, 0, n);
  }
  if (length === 0) return undefined;
  return length === expected ? out : out.subarray(0, length);
}
