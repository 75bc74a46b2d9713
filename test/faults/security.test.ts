import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { voc } from '../helpers/cli.js';
import { tempHome } from '../helpers/home.js';
import { DATABASES } from '../helpers/databases.js';
import { pgTestUrl } from '../helpers/services.js';
import { simTranslation } from '../../src/llm/tasks.js';
import { normaliseForPrompt } from '../../src/text.js';
import { homePaths } from '../../src/daemon/lifecycle.js';

/** Nobody gets in: the daemon's socket refuses other users, and SQL takes hostile text only as bound values. */
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function makeHome(tag: string) {
  const h = tempHome(tag);
  writeFileSync(
    path.join(h.home, 'config.json'),
    JSON.stringify({
      simulator: { latencyMs: 5, limit: 500 },
      llm: { qps: 500 },
      beat: { checkPendingTranslations: false },
      analysis: { autoLearn: false },
    }),
  );
  cleanups.push(async () => {
    await voc(h.home, ['daemon', 'stop']);
    h.cleanup();
  });
  return h.home;
}

/** Run a one-line request to the socket as user `nobody`; null when that cannot be done on this machine. */
function asNobody(socket: string): { code: number | null; out: string } | null {
  if (process.getuid?.() !== 0) return null;
  const script = `require('http').request({socketPath:${JSON.stringify(socket)},path:'/health'},(r)=>{console.log('STATUS',r.statusCode);process.exit(0)}).on('error',(e)=>{console.log('ERR',e.code);process.exit(3)}).end()`;
  for (const cmd of [
    ['runuser', '-u', 'nobody', '--'],
    ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'],
  ]) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    if (r.error || /not found|unknown user|invalid/i.test(r.stderr ?? '')) continue;
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }
  return null;
}

describe('the daemon socket', () => {
  it('refuses a request from another user, also when the home directory is opened up', async () => {
    const home = makeHome('sk');
    const up = await voc(home, ['daemon', 'start']);
    expect(up.code, up.stderr).toBe(0);
    const socket = homePaths(home).socket;
    const first = asNobody(socket);
    if (!first) {
      console.warn('[voc faults] skipped: needs root and runuser or setpriv to act as `nobody`');
      return;
    }
    expect(first.out).toMatch(/ERR EACCES/);
    expect(first.code).toBe(3);
    // with a traversable home only the socket's own 0600 mode stands in the way
    chmodSync(home, 0o711);
    try {
      const second = asNobody(socket)!;
      expect(second.out).toMatch(/ERR EACCES/);
      expect(second.out).not.toContain('STATUS');
    } finally {
      chmodSync(home, 0o700);
    }
    const own = await voc(home, ['daemon', 'status', '--json']);
    expect(own.code, own.stderr).toBe(0);
  });
});

describe.each(DATABASES)('hostile text on %s', (db) => {
  it('a body and a product id full of quotes and SQL round-trip through ingest, translate-pending and report unchanged', async () => {
    const home = makeHome(`q${db[0]}`);
    const pgu = db === 'pg' ? pgTestUrl('sq') : null;
    if (pgu) cleanups.push(() => pgu.drop());
    const env = pgu ? { VOC_DATABASE_URL: pgu.url } : {};
    const product = `P'1"; DROP TABLE reviews; --`;
    const bodies = [
      `It's "fine"'; DROP TABLE reviews; -- and O'Brien said ''hi'' \\ 100% _ok_ ?`,
      `Robert'); DELETE FROM reviews WHERE ('1'='1`,
      `"; UPDATE reviews SET body_zh = 'pwned'; --`,
    ];
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const file = path.join(home, 'hostile.csv');
    writeFileSync(
      file,
      ['review_id,product_id,rating,body', ...bodies.map((b, i) => `${q(`x'${i}--`)},${q(product)},${i + 2},${q(b)}`)].join('\n') + '\n',
    );

    const ing = await voc(home, ['ingest', file, '--json'], { env });
    expect(ing.code, ing.stderr).toBe(0);
    expect(JSON.parse(ing.stdout)).toMatchObject({ inserted: 3 });
    const tr = await voc(home, ['translate-pending', '--wait', '--json'], { env });
    expect(tr.code, tr.stderr).toBe(0);
    expect(JSON.parse(tr.stdout)).toMatchObject({ translated: 3, failed: 0 });

    const ex = await voc(home, ['export', '--all', '--format', 'ndjson'], { env });
    expect(ex.code, ex.stderr).toBe(0);
    const rows = ex.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.product_id).toBe(product);
      expect(bodies).toContain(r.body);
      expect(r.body_zh).toBe(simTranslation(normaliseForPrompt(r.body)));
    }

    const rep = await voc(home, ['report', product, '--format', 'json'], { env });
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toContain(JSON.stringify(product).slice(1, -1));
    const all = await voc(home, ['report', '--all', '--format', 'json'], { env });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain(JSON.stringify(product).slice(1, -1));
  });
});
