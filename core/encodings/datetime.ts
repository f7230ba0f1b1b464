/**
 * ISO 8601 ↔ seconds (bigint) without the range limits of `Date`: a KMIP Date-Time is a signed
 * 64-bit count of seconds, far beyond what `Date` can print. Civil-date arithmetic after
 * H. Hinnant's days_from_civil / civil_from_days, in bigint.
 */

const ISO = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

function daysFromCivil(y: bigint, m: bigint, d: bigint): bigint {
  y -= m <= 2n ? 1n : 0n;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mp = (m + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n + d - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

function civilFromDays(z: bigint): [bigint, bigint, bigint] {
  z += 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return [yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d];
}

export interface ParsedIsoTime {
  seconds: bigint;
  /** Fraction of a second in microseconds (0–999999), truncated. */
  micros: bigint;
}

/** Parses `yyyy-mm-ddThh:mm:ss[.f][Z|±hh:mm]`; no zone means UTC. Undefined when malformed. */
export function parseIsoTime(text: string): ParsedIsoTime | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const month = BigInt(mos!);
  const day = BigInt(ds!);
  const hour = BigInt(hs!);
  const minute = BigInt(mis!);
  const second = BigInt(ss!);
  if (month < 1n || month > 12n || day < 1n || day > 31n || hour > 23n || minute > 59n || second > 60n) {
    return undefined;
  }
  let offset = 0n;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    offset = sign * (BigInt(zone.slice(1, 3)) * 3600n + BigInt(zone.slice(4, 6)) * 60n);
  }
  const days = daysFromCivil(BigInt(ys!), month, day);
  const seconds = days * 86400n + hour * 3600n + minute * 60n + second - offset;
  const micros = frac ? BigInt((frac + '000000').slice(0, 6)) : 0n;
  return { seconds, micros };
}

const pad = (n: bigint, w: number): string => n.toString().padStart(w, '0');

/** Seconds since the epoch → `yyyy-mm-ddThh:mm:ss[.ffffff]+00:00`. */
export function formatIsoTime(seconds: bigint, micros?: bigint): string {
  const days = floorDiv(seconds, 86400n);
  let rem = seconds - days * 86400n;
  const [y, m, d] = civilFromDays(days);
  const hour = rem / 3600n;
  rem -= hour * 3600n;
  const minute = rem / 60n;
  const second = rem - minute * 60n;
  const year = y < 0n ? '-' + pad(-y, 4) : pad(y, 4);
  const fraction = micros === undefined ? '' : '.' + pad(micros, 6);
  return `${year}-${pad(m, 2)}-${pad(d, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}+00:00`;
}
