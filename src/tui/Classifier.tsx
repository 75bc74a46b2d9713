import { Box } from 'ink';
import type { ClassCounts, Stats } from '../daemon/stats-types.js';
import { compact, num } from './format.js';
import { Line, Paint } from './theme.js';

const mix = (c: ClassCounts): string => `vip ${compact(c.vip)} std ${compact(c.standard)} short ${compact(c.short)}`;

/** The translation classifier: the mix of the current run and overall, and how well calls are packed. */
export function Classifier({ stats, width }: { stats: Stats; width: number }) {
  const c = stats.classifier;
  const job = c.run.jobId === null ? '' : ` (job ${c.run.jobId})`;
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Classifier</Paint>
        {` run ${mix(c.run)}${job} · total ${mix(c)}`}
      </Line>
      <Line>{`  batches ${mix(c.batches)} · ${compact(c.calls)} calls · ${num(Math.round(c.reviewsPerCall * 10) / 10)} reviews/call`}</Line>
      <Line>
        {`  translated ${compact(c.translated)} · fallbacks ${compact(c.fallbacks)} · cache hits ${compact(c.cacheHits)} · skipped ${compact(c.skipped)}`}
        {c.failed > 0 ? <Paint tone="bad">{` · failed ${compact(c.failed)}`}</Paint> : ''}
      </Line>
    </Box>
  );
}
