/**
 * A one-line progress bar on stderr when it is a terminal; silent otherwise (CI logs, pipes),
 * so results files and captured output stay clean.
 */
export interface Progress {
  /** fraction in [0, 1]; detail is shown after the bar (rate, errors). */
  update(fraction: number, detail: string): void;
  done(): void;
}

const WIDTH = 28;

export function createProgress(label: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return { update() {}, done() {} };
  let last = 0;
  return {
    update(fraction, detail) {
      const now = Date.now();
      if (now - last < 100 && fraction < 1) return; // at most ten redraws a second
      last = now;
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * WIDTH);
      const bar = '#'.repeat(filled) + '-'.repeat(WIDTH - filled);
      const line = `${label.slice(0, 38).padEnd(38)} [${bar}] ${String(Math.round(f * 100)).padStart(3)}% ${detail}`;
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
    },
    done() {
      process.stderr.write('\r\x1b[K');
    },
  };
}
