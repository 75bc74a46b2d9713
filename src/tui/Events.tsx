import { Box } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { clock, sanitize } from './format.js';
import { Line, Paint } from './theme.js';

/** The last events, newest at the bottom like a log tail; texts may quote reviews, so they are sanitised. */
export function Events({ stats, rows, width }: { stats: Stats; rows: number; width: number }) {
  const events = [...(stats.events ?? [])].sort((a, b) => a.ts - b.ts).slice(-rows);
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Events</Paint>
        {events.length === 0 ? <Paint tone="dim"> none yet</Paint> : ''}
      </Line>
      {events.map((e, i) => (
        <Line key={`${e.ts}-${i}`}>
          <Paint tone="dim">{clock(e.ts) + ' '}</Paint>
          <Paint tone={/\b(429|fail|error|down)/i.test(e.text) ? 'warn' : undefined}>{sanitize(e.text)}</Paint>
        </Line>
      ))}
    </Box>
  );
}
