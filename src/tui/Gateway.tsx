import { Box } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { LLM_LANES } from '../config/schema.js';
import { compact, num, sparkline } from './format.js';
import { Line, Paint } from './theme.js';

const ABBR = { learning: 'learn', translation: 'trans', insight_extraction: 'ins', theme_extraction: 'thm' } as const;

function money(v: number): string {
  return v < 100 ? v.toFixed(2) : num(Math.round(v));
}

/** The one door to the LLM: the sliding window against the cap, who waits, 429s, the adaptive rate, spend. */
export function Gateway({ stats, width, sparkWidth }: { stats: Stats; width: number; sparkWidth: number }) {
  const g = stats.gateway;
  const hot = g.window >= g.limit;
  const lowered = g.adaptiveRate < g.limit;
  const waiting = LLM_LANES.map((l) => `${ABBR[l]} ${compact(g.waiting?.[l] ?? 0)}`).join(' ');
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Gateway</Paint>
        {g.throttleHealthy ? <Paint tone="dim">{` ${g.throttle} throttle`}</Paint> : <Paint tone="bad"> REDIS DOWN: calls paused</Paint>}
      </Line>
      <Line>
        {'window '}
        <Paint tone={hot ? 'warn' : 'ok'}>{`${g.window}/${g.limit}`}</Paint>
        {` · ${num(Math.round(g.qps * 10) / 10)} qps · ${g.inFlight} in flight`}
      </Line>
      <Line>
        <Paint tone="dim">60s </Paint>
        <Paint tone="ok">{sparkline(g.history ?? [], sparkWidth, g.limit)}</Paint>
      </Line>
      <Line>{`waiting ${waiting}`}</Line>
      <Line>
        {'429 '}
        <Paint tone={g.rejected429Last5m > 0 ? 'warn' : undefined}>{`${compact(g.rejected429Last5m)} (5m)`}</Paint>
        {` ${compact(g.rejected429)} total`}
        {lowered ? <Paint tone="warn">{` · rate ${num(Math.round(g.adaptiveRate * 10) / 10)}/${g.limit}`}</Paint> : ''}
      </Line>
      <Line>{`tok/min ${compact(g.tokensLastMinute)} · today ${money(g.costToday)} ${g.currency}`}</Line>
    </Box>
  );
}
