import type { Stats } from '../daemon/stats-types.js';
import { duration, num } from './format.js';
import { Line, Paint } from './theme.js';

/** How much is left and how long it takes at the current rate: the operator's first question. */
export function Backlog({ stats }: { stats: Stats }) {
  const b = stats.backlog;
  const idle = b.pendingTranslations === 0 && b.pendingAnalyses === 0;
  const eta = b.etaSeconds === null ? (idle ? 'idle' : 'unknown') : duration(b.etaSeconds);
  return (
    <Line>
      <Paint tone="title">Backlog</Paint>
      {` ${num(b.pendingTranslations)} translations · ${num(b.pendingAnalyses)} analyses pending · ETA `}
      <Paint tone={b.etaSeconds === null ? 'dim' : 'ok'}>{eta}</Paint>
    </Line>
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
