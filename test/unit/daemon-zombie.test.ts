import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/daemon/lifecycle.js';

describe('stale daemon detection', () => {
  it('a killed process that nobody has reaped yet (a zombie) does not count as a running daemon', async () => {
    // a parent whose event loop is blocked never reaps its child: once killed, the child stays a zombie
    const script =
      "const c = require('child_process').spawn('sleep', ['30']); console.log(c.pid); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);";
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
      expect(processAlive(pid)).toBe(true);
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(processAlive(pid)).toBe(false);
      // it is still there as a zombie: kill(pid, 0) alone would have called it alive
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
