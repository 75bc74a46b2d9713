import { Box } from 'ink';
import type { LaneStats, Stats } from '../daemon/stats-types.js';
import { compact, ms, num, padEnd, padStart } from './format.js';
import { LANE_ORDER, SHORT_LANE } from './lanes-meta.js';
import { Line, Paint } from './theme.js';

// column widths: # name state queued act/cap done failed retry /min p95 (72 columns with the gaps)
const COLS = [1, 11, 7, 7, 7, 7, 6, 5, 6, 6] as const;

function cells(values: string[]): string {
  return values.map((v, i) => (i < 3 ? padEnd(v, COLS[i]) : padStart(v, COLS[i]))).join(' ');
}

function row(i: number, name: string, l: LaneStats): string[] {
  return [
    String(i + 1),
    SHORT_LANE[name as keyof typeof SHORT_LANE] ?? name,
    l.paused ? 'PAUSED' : 'running',
    compact(l.queued),
    `${l.active}/${l.cap}`,
    compact(l.done),
    compact(l.failed),
    compact(l.retried),
    num(Math.round(l.ratePerMin * 10) / 10),
    ms(l.p95Ms),
  ];
}

/** One row per lane: the seed's per-queue view, with the pause switch's state. */
export function Lanes({ stats, width }: { stats: Stats; width: number }) {
  const head = cells(['', 'Lanes', 'state', 'queued', 'act/cap', 'done', 'failed', 'retry', '/min', 'p95']);
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">{head}</Paint>
      </Line>
      {LANE_ORDER.map((name, i) => {
        const l = stats.lanes[name];
        if (!l) return <Line key={name}>{cells([String(i + 1), SHORT_LANE[name], 'n/a'])}</Line>;
        const c = row(i, name, l);
        const [idx, lane, state] = c.slice(0, 3).map((v, k) => padEnd(v, COLS[k]));
        const rest =
          ' ' +
          c
            .slice(3)
            .map((v, k) => padStart(v, COLS[k + 3]))
            .join(' ');
        return (
          <Line key={name}>
            {`${idx} ${lane} `}
            <Paint tone={l.paused ? 'bad' : l.active > 0 ? 'ok' : 'dim'}>{state}</Paint>
            {rest}
          </Line>
        );
      })}
    </Box>
  );
}
