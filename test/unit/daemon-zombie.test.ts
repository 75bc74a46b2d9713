import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/daemon/lifecycle.js';

describe('stale daemon detection', () => {
  it('a killed process that nobody has reaped yet (a zombie) does not count as a running daemon', async () => {
    // the inner sleep's parent becomes `sleep 60`, which never waits for it: once killed it stays a zombie
    const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
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
