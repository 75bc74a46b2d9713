import { Box } from 'ink';
import type { LanguageMix, Stats } from '../daemon/stats-types.js';
import { compact, duration, num } from './format.js';
import { Line, Paint } from './theme.js';

/** "ja 527 · zh 943 skipped · zh-Hant 40 converted": what translation does with each language, cut to the width. */
export function languageLine(mix: LanguageMix[], width: number): string {
  let out = '';
  for (const m of mix) {
    const what =
      m.skipped === m.reviews
        ? ' skipped'
        : m.converted === m.reviews
          ? ' converted'
          : m.skipped || m.converted
            ? ` (${[m.skipped && `${compact(m.skipped)} skipped`, m.converted && `${compact(m.converted)} converted`].filter(Boolean).join(', ')})`
            : '';
    const part = `${out ? ' · ' : ''}${m.lang} ${compact(m.reviews)}${what}`;
    if (out.length + part.length > width) return out ? `${out} · …` : out;
    out += part;
  }
  return out || 'none yet';
}

/** How much is left and how long it takes at the current rate: the operator's first question. */
export function Backlog({ stats, width }: { stats: Stats; width: number }) {
  const b = stats.backlog;
  const idle = b.pendingTranslations === 0 && b.pendingAnalyses === 0;
  const eta = b.etaSeconds === null ? (idle ? 'idle' : 'unknown') : duration(b.etaSeconds);
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Backlog</Paint>
        {` ${num(b.pendingTranslations)} translations · ${num(b.pendingAnalyses)} analyses pending · ETA `}
        <Paint tone={b.etaSeconds === null ? 'dim' : 'ok'}>{eta}</Paint>
        {batchLine(stats)}
      </Line>
      <Line>{`  languages ${languageLine(b.languages ?? [], width - 14)}`}</Line>
    </Box>
  );
}

/** The Redis ingest buffer (only with Redis): what waits, and dead letters an operator has to look at. */
export function IngestBuffer({ stats }: { stats: Stats }) {
  const b = stats.ingestBuffer;
  if (!b) return null;
  return (
    <Line>
      <Paint tone="title">Buffer</Paint>
      {` ${num(b.waiting)} waiting · ${num(b.inFlight)} storing · `}
      <Paint tone={b.deadLetters ? 'warn' : 'dim'}>{`${num(b.deadLetters)} dead letters`}</Paint>
      {b.deadLetters ? ' (voc jobs)' : ''}
    </Line>
  );
}

/** Batch API batches in flight: the provider's status and counts of the newest, their age, and the batch spend. */
function batchLine(stats: Stats): string {
  const b = stats.backlog.batches;
  if (!b || (!b.inFlight.length && !b.cost)) return '';
  const cost = `${b.cost.toFixed(4)} ${stats.gateway.currency}`;
  if (!b.inFlight.length) return ` · Batch API ${cost}`;
  const x = b.inFlight[0];
  return ` · Batch API ${b.inFlight.length} in flight (${x.kind} ${x.status} ${num(x.completed + x.failed)}/${num(x.requests)}, ${duration(x.ageSec)}) ${cost}`;
}
