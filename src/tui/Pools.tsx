import { Box } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { POOLS, type LaneName, type PoolName } from '../config/schema.js';
import { bar, padEnd, padStart } from './format.js';
import { HOME_POOL, SHORT_LANE } from './lanes-meta.js';
import { Line, Paint } from './theme.js';

/** Pool use as a bar, and who the pool is serving right now; a lane outside its home pool is overflow. */
export function Pools({ stats, width }: { stats: Stats; width: number }) {
  const barWidth = Math.max(4, Math.min(20, width - 32));
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Pools</Paint>
      </Line>
      {POOLS.map((name: PoolName) => {
        const p = stats.pools[name];
        if (!p) return <Line key={name}>{padEnd(name, 8) + 'n/a'}</Line>;
        const full = p.cap > 0 && p.active >= p.cap;
        const serving = p.serving ?? [];
        return (
          <Line key={name}>
            {padEnd(name, 8)}
            <Paint tone={full ? 'warn' : p.active > 0 ? 'ok' : 'dim'}>{bar(p.active, p.cap, barWidth)}</Paint>
            {' ' + padStart(`${p.active}/${p.cap}`, 7) + ' '}
            {serving.length === 0 ? <Paint tone="dim">idle</Paint> : null}
            {serving.map((lane: LaneName, i: number) => {
              const overflow = HOME_POOL[lane] !== name;
              const label = (i > 0 ? ',' : '') + (overflow ? '+' : '') + (SHORT_LANE[lane] ?? lane);
              return overflow ? (
                <Paint key={lane} tone="accent">
                  {label}
                </Paint>
              ) : (
                label
              );
            })}
          </Line>
        );
      })}
    </Box>
  );
}
