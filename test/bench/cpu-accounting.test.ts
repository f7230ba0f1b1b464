/** What the gateway benchmark's CPU columns rest on: process-tree CPU time and the measure hook. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLoad } from '../../bench/load/generator.js';
import { startServerProcess } from '../../bench/load/server-process.js';
import type { KmipChannel } from '../../bench/load/channels.js';

// A parent that forks a busy child: the child's CPU must count towards the parent's tree.
const SPIN_CHILD = `
const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
console.log('ready');
setInterval(() => {}, 1000);
`;

test(
  'cpu-seconds-count-the-busy-descendants-of-a-server',
  { skip: process.platform !== 'linux' },
  async () => {
    const parent = await startServerProcess({
      name: 'spinner',
      command: process.execPath,
      args: ['-e', SPIN_CHILD],
      readyPattern: /ready/,
      timeoutMs: 10_000,
    });
    try {
      const first = parent.cpuSeconds();
      assert.ok(first !== undefined);
      await new Promise((r) => setTimeout(r, 1_500));
      const second = parent.cpuSeconds() as number;
      // The parent itself is idle; only the spinning child can account for most of a second.
      assert.ok(second - first > 0.5, `tree CPU grew by ${second - first} s`);
    } finally {
      await parent.stop(2_000);
    }
  },
);

test('measure-hook-runs-once-when-the-measured-phase-begins', async () => {
  const channel = { send: async () => undefined } as unknown as KmipChannel;
  let calls = 0;
  let iterationsAtHook = -1;
  let iterations = 0;
  const result = await runLoad({
    label: 'hook',
    channels: [channel],
    pipeline: 1,
    warmupMs: 100,
    durationMs: 100,
    onMeasureStart: () => {
      calls++;
      iterationsAtHook = iterations;
    },
    iteration: async () => {
      iterations++;
      await new Promise((r) => setTimeout(r, 5));
    },
  });
  assert.equal(calls, 1);
  assert.ok(iterationsAtHook > 0, 'warm-up iterations ran before the hook');
  assert.ok(result.iterations > 0 && result.iterations < iterations);
});
