import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { repoRoot, voc as vocCli } from '../helpers/cli.js';

const voc = (home: string, args: string[], timeout?: number) => vocCli(home, args, { timeout });

describe('voc status without a daemon', () => {
  const h = tempHome('st');
  afterAll(() => h.cleanup());

  for (const args of [['status'], ['status', '--once'], ['status', '--json']]) {
    it(`\`voc ${args.join(' ')}\` says in one line how to start one and exits 2`, async () => {
      const r = await voc(h.home, args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/no daemon is running.*`voc daemon start`/);
      // status never starts a daemon
      expect(existsSync(path.join(h.home, 'voc.sock'))).toBe(false);
    });
  }
});

// With the daemon's commands built, the status of a real (simulated, idle) daemon on the default caps.
const haveDaemon =
  existsSync(path.join(repoRoot, 'src', 'daemon', 'daemon.ts')) && existsSync(path.join(repoRoot, 'src', 'commands', 'daemon.ts'));

describe.skipIf(!haveDaemon)('voc status with a running daemon', () => {
  const h = tempHome('sd');
  beforeAll(async () => {
    const r = await voc(h.home, ['daemon', 'start']);
    if (r.code !== 0) throw new Error(`voc daemon start failed (${r.code}): ${r.stderr}`);
  }, 60_000);
  afterAll(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  }, 60_000);

  it('--json shows the caps 4/50/100/100/100 and the limit 25', async () => {
    const r = await voc(h.home, ['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect([s.pools.base.cap, s.pools.vip.cap, s.pools.trans.cap, s.pools.insight.cap, s.pools.theme.cap]).toEqual([4, 50, 100, 100, 100]);
    expect(s.gateway.limit).toBe(25);
    expect(s.lanes.translation).toMatchObject({ cap: 100 });
    for (const k of ['queued', 'active', 'cap', 'done', 'failed']) expect(s.lanes.translation).toHaveProperty(k);
    for (const k of ['vip', 'standard', 'short', 'calls', 'reviewsPerCall']) expect(s.classifier).toHaveProperty(k);
    expect(s.backlog).toHaveProperty('pendingTranslations');
  });

  it('--once prints the same caps in a plain 80-column frame with every panel', async () => {
    const r = await voc(h.home, ['status', '--once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b/);
    for (const title of ['Lanes', 'Pools', 'Gateway', 'Classifier', 'Backlog', 'Events']) expect(r.stdout).toContain(title);
    expect(r.stdout).toMatch(/^base\s.*\s0\/4\b/m);
    expect(r.stdout).toMatch(/^vip\s.*\s0\/50\b/m);
    expect(r.stdout).toMatch(/^trans\s.*\s0\/100\b/m);
    expect(r.stdout).toMatch(/window 0\/25/);
    for (const l of r.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('during and after a translation run, --json and --once show its rate and classifier counts', async () => {
    const ing = await voc(h.home, ['ingest', path.join(repoRoot, 'samples', 'demo-reviews.csv')]);
    expect(ing.code, ing.stderr).toBe(0);
    const tr = await voc(h.home, ['translate-pending']);
    expect(tr.code, tr.stderr).toBe(0);
    const json = async () => JSON.parse((await voc(h.home, ['status', '--json'])).stdout);
    // poll with a deadline until the run has drained (the rate stays non-zero for a minute after)
    let s = await json();
    const deadline = Date.now() + 45_000;
    while (s.backlog.pendingTranslations > 0 || s.lanes.translation.active > 0 || s.lanes.translation.queued > 0) {
      if (Date.now() > deadline) throw new Error(`the translation run did not finish: ${JSON.stringify(s.backlog)}`);
      s = await json();
    }
    const run = s.classifier.run;
    expect(s.lanes.translation.done).toBeGreaterThan(0);
    expect(s.lanes.translation.ratePerMin).toBeGreaterThan(0);
    expect(run.vip + run.standard + run.short).toBeGreaterThan(0);
    expect(s.classifier.calls).toBeGreaterThan(0);
    const once = (await voc(h.home, ['status', '--once'])).stdout;
    expect(once).toContain(`run vip ${run.vip} std ${run.standard} short ${run.short}`);
    expect(once).toMatch(new RegExp(`^4 translation running\\s+0\\s+0/100\\s+${s.lanes.translation.done.toLocaleString('en-US')}\\b`, 'm'));
    expect(once).toContain(`${s.classifier.calls} calls`);
  });
});
