import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/daemon/lifecycle.js';

describe('stale daemon detection', () => {
  it('a killed process that nobody has reaped yet (a zombie) does not count as a running daemon', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    expect(processAlive(pid)).toBe(true);
    // keep node from reaping it: without an 'exit' wait the kernel keeps the zombie until we collect it
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(processAlive(pid)).toBe(false);
    child.unref();
  });
});
