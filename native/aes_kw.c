/*
 * Krypton's AES key wrap on AES-NI: NIST KW (RFC 3394) and KWP (RFC 5649) for keys that stay in
 * memory (the gateway's cached L3s). OpenSSL's id-aes*-wrap ciphers run the block cipher through
 * its portable table code; here the 24 (or 12) block operations of a 32-byte key run on the AES
 * instructions, and the key schedule is expanded once per key into a buffer the caller owns and
 * zeroes (core/keys/native-kw.ts).
 *
 * Exports:
 *   available: boolean        — the CPU has AES-NI (nothing else is usable without it)
 *   schedule(key, out)        — expands a 16/24/32-byte key into `out` (SCHEDULE_BYTES)
 *   run(schedule, mode, data, length, out) — mode bit 0: unwrap, bit 1: KWP. Reads `length` bytes
 *                               of `data`, writes the result into `out` (at least the wrapped
 *                               length, or length - 8 to unwrap) and returns its length, or 0
 *                               when the input is not one this code handles or an unwrap fails its
 *                               integrity check (`out` is then cleared); the caller then runs
 *                               OpenSSL, which gives the same output or the error it always gave.
 *
 * Every intermediate that holds key material or an unwrapped key is cleared before returning.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <wmmintrin.h>
#include <emmintrin.h>

#define MAX_ROUNDS 14
#define SCHEDULE_BYTES ((2 * (MAX_ROUNDS + 1) + 1) * 16) /* encrypt keys, decrypt keys, rounds */
#define MAX_DATA 4104                                     /* 4,096 bytes of key plus the IV block */

static const uint8_t KW_IV[8] = {0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6};
static const uint8_t KWP_IV[4] = {0xa6, 0x59, 0x59, 0xa6};

static void wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

__attribute__((target("aes,sse2"))) static uint32_t sub_word(uint32_t w) {
  /* AESKEYGENASSIST's low dword is SubWord of dword 1: the S-box without a table lookup. */
  __m128i x = _mm_aeskeygenassist_si128(_mm_set1_epi32((int)w), 0);
  return (uint32_t)_mm_cvtsi128_si32(x);
}

/* FIPS 197 §5.2 key expansion, then the equivalent inverse cipher's keys (§5.3.5). */
__attribute__((target("aes,sse2"))) static int expand(const uint8_t *key, size_t len, uint8_t *out) {
  static const uint8_t rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
  if (len != 16 && len != 24 && len != 32) return 0;
  const int nk = (int)(len / 4), nr = nk + 6, total = 4 * (nr + 1);
  uint32_t w[4 * (MAX_ROUNDS + 1)];
  memcpy(w, key, len);
  for (int i = nk; i < total; i++) {
    uint32_t t = w[i - 1];
    if (i % nk == 0)
      t = sub_word((t >> 8) | (t << 24)) ^ rcon[i / nk - 1];
    else if (nk > 6 && i % nk == 4)
      t = sub_word(t);
    w[i] = w[i - nk] ^ t;
  }
  __m128i *enc = (__m128i *)out, *dec = enc + (MAX_ROUNDS + 1);
  for (int r = 0; r <= nr; r++) _mm_storeu_si128(enc + r, _mm_loadu_si128((const __m128i *)(w + 4 * r)));
  _mm_storeu_si128(dec, _mm_loadu_si128(enc + nr));
  for (int r = 1; r < nr; r++) _mm_storeu_si128(dec + r, _mm_aesimc_si128(_mm_loadu_si128(enc + nr - r)));
  _mm_storeu_si128(dec + nr, _mm_loadu_si128(enc));
  out[SCHEDULE_BYTES - 16] = (uint8_t)nr;
  wipe(w, sizeof w);
  return 1;
}

__attribute__((target("aes,sse2"))) static inline __m128i encrypt_block(const __m128i *k, int nr, __m128i x) {
  x = _mm_xor_si128(x, _mm_loadu_si128(k));
  for (int r = 1; r < nr; r++) x = _mm_aesenc_si128(x, _mm_loadu_si128(k + r));
  return _mm_aesenclast_si128(x, _mm_loadu_si128(k + nr));
}

__attribute__((target("aes,sse2"))) static inline __m128i decrypt_block(const __m128i *k, int nr, __m128i x) {
  x = _mm_xor_si128(x, _mm_loadu_si128(k));
  for (int r = 1; r < nr; r++) x = _mm_aesdec_si128(x, _mm_loadu_si128(k + r));
  return _mm_aesdeclast_si128(x, _mm_loadu_si128(k + nr));
}

static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static inline void store_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

/* RFC 3394 §2.2.1 W: a (8 bytes) and r (n blocks of 8) in place, n >= 2. */
__attribute__((target("aes,sse2"))) static void wrap_rounds(const __m128i *k, int nr, uint8_t *a, uint8_t *r, size_t n) {
  uint8_t b[16];
  uint64_t t = 0;
  for (int j = 0; j < 6; j++) {
    for (size_t i = 0; i < n; i++) {
      memcpy(b, a, 8);
      memcpy(b + 8, r + 8 * i, 8);
      _mm_storeu_si128((__m128i *)b, encrypt_block(k, nr, _mm_loadu_si128((const __m128i *)b)));
      store_be64(a, load_be64(b) ^ ++t);
      memcpy(r + 8 * i, b + 8, 8);
    }
  }
  wipe(b, sizeof b);
}

/* RFC 3394 §2.2.2 W^-1, index-based form; leaves the recovered IV in a. */
__attribute__((target("aes,sse2"))) static void unwrap_rounds(const __m128i *k, int nr, uint8_t *a, uint8_t *r, size_t n) {
  uint8_t b[16];
  uint64_t t = 6 * (uint64_t)n;
  for (int j = 5; j >= 0; j--) {
    for (size_t i = n; i-- > 0;) {
      store_be64(b, load_be64(a) ^ t--);
      memcpy(b + 8, r + 8 * i, 8);
      _mm_storeu_si128((__m128i *)b, decrypt_block(k, nr, _mm_loadu_si128((const __m128i *)b)));
      memcpy(a, b, 8);
      memcpy(r + 8 * i, b + 8, 8);
    }
  }
  wipe(b, sizeof b);
}

/* Output length into *out_len, or 0 when the input is not one this code handles or fails. */
__attribute__((target("aes,sse2"))) static int kw(const uint8_t *schedule, int mode, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len) {
  const int nr = schedule[SCHEDULE_BYTES - 16];
  if (nr != 10 && nr != 12 && nr != 14) return 0;
  const __m128i *enc = (const __m128i *)schedule, *dec = enc + (MAX_ROUNDS + 1);
  const int unwrap = mode & 1, padded = mode & 2;
  if (!unwrap) {
    size_t body = padded ? (len + 7) & ~(size_t)7 : len;
    if (len == 0 || body + 8 > MAX_DATA || (!padded && (len % 8 != 0 || len < 16))) return 0;
    if (padded) {
      memcpy(out, KWP_IV, 4);
      out[4] = (uint8_t)(len >> 24), out[5] = (uint8_t)(len >> 16), out[6] = (uint8_t)(len >> 8), out[7] = (uint8_t)len;
    } else {
      memcpy(out, KW_IV, 8);
    }
    memcpy(out + 8, in, len);
    memset(out + 8 + len, 0, body - len);
    if (body == 8) {
      /* RFC 5649 §4.1: one 64-bit block is encrypted with the AIV in one AES operation. */
      _mm_storeu_si128((__m128i *)out, encrypt_block(enc, nr, _mm_loadu_si128((const __m128i *)out)));
    } else {
      wrap_rounds(enc, nr, out, out + 8, body / 8);
    }
    *out_len = body + 8;
    return 1;
  }
  if (len % 8 != 0 || len > MAX_DATA || len < (padded ? 16 : 24)) return 0;
  const size_t n = len / 8 - 1;
  uint8_t a[8];
  memcpy(a, in, 8);
  memcpy(out, in + 8, len - 8);
  if (n == 1) {
    uint8_t b[16];
    memcpy(b, in, 16);
    _mm_storeu_si128((__m128i *)b, decrypt_block(dec, nr, _mm_loadu_si128((const __m128i *)b)));
    memcpy(a, b, 8);
    memcpy(out, b + 8, 8);
    wipe(b, sizeof b);
  } else {
    unwrap_rounds(dec, nr, a, out, n);
  }
  /* Integrity checks without early exit on secret-dependent data. */
  unsigned bad = 0;
  size_t plain = 8 * n;
  if (!padded) {
    for (int i = 0; i < 8; i++) bad |= a[i] ^ KW_IV[i];
  } else {
    for (int i = 0; i < 4; i++) bad |= a[i] ^ KWP_IV[i];
    const uint32_t mli = ((uint32_t)a[4] << 24) | ((uint32_t)a[5] << 16) | ((uint32_t)a[6] << 8) | a[7];
    /* RFC 5649 §3: 8*(n-1) < MLI <= 8*n, and the padding bytes are zero. */
    const int in_range = mli > 8 * (n - 1) && mli <= 8 * n;
    bad |= !in_range;
    if (in_range) {
      for (size_t i = mli; i < 8 * n; i++) bad |= out[i];
      plain = mli;
    }
  }
  wipe(a, sizeof a);
  if (bad) {
    wipe(out, len - 8);
    return 0;
  }
  *out_len = plain;
  return 1;
}

static int has_aesni(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
}

static napi_value undefined_value(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value schedule_fn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *key, *out;
  size_t key_len, out_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_buffer_info(env, argv[0], &key, &key_len) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &out, &out_len) != napi_ok || out_len != SCHEDULE_BYTES ||
      !has_aesni() || !expand(key, key_len, out)) {
    napi_throw_error(env, "KRY_CRYPTO_FAILURE", "native key schedule: bad arguments");
    return NULL;
  }
  return undefined_value(env);
}

/* Bytes run() writes into `out`: the wrapped key (padded to 8 bytes, plus the IV block), or the
 * unwrapped key before its padding is dropped. */
static size_t out_needed(int mode, size_t len) {
  if (mode & 1) return len >= 8 ? len - 8 : 0;
  return ((len + 7) & ~(size_t)7) + 8;
}

static napi_value run_fn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void *schedule, *data, *out;
  size_t schedule_len, data_cap, out_cap, out_len = 0;
  int32_t mode;
  uint32_t data_len;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_buffer_info(env, argv[0], &schedule, &schedule_len) != napi_ok || schedule_len != SCHEDULE_BYTES ||
      napi_get_value_int32(env, argv[1], &mode) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &data, &data_cap) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &data_len) != napi_ok || data_len > data_cap ||
      napi_get_buffer_info(env, argv[4], &out, &out_cap) != napi_ok || out_cap < out_needed(mode, data_len)) {
    napi_throw_error(env, "KRY_CRYPTO_FAILURE", "native key wrap: bad arguments");
    return NULL;
  }
  if (!kw(schedule, mode, data, data_len, out, &out_len)) out_len = 0;
  napi_create_int32(env, (int32_t)out_len, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value v;
  napi_get_boolean(env, has_aesni(), &v);
  napi_set_named_property(env, exports, "available", v);
  napi_create_uint32(env, SCHEDULE_BYTES, &v);
  napi_set_named_property(env, exports, "scheduleBytes", v);
  napi_create_function(env, "schedule", NAPI_AUTO_LENGTH, schedule_fn, NULL, &v);
  napi_set_named_property(env, exports, "schedule", v);
  napi_create_function(env, "run", NAPI_AUTO_LENGTH, run_fn, NULL, &v);
  napi_set_named_property(env, exports, "run", v);
  return exports;
}
