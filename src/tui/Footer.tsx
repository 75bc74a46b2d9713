import { Line, Paint } from './theme.js';
import { LANE_ORDER, SHORT_LANE } from './lanes-meta.js';

export type KeyMode = 'keys' | 'pick-lane';

/** The keys line; after `p` it lists the lanes by digit, and it shows the outcome of the last switch. */
export function Footer({ mode, message }: { mode: KeyMode; message: string | null }) {
  const keys =
    mode === 'pick-lane'
      ? 'pause/resume lane: ' + LANE_ORDER.map((l, i) => `${i + 1} ${SHORT_LANE[l]}`).join('  ') + '  (esc: cancel)'
      : 'q quit  p+1..6 pause/resume a lane';
  return (
    <Line>
      <Paint tone={mode === 'pick-lane' ? 'warn' : 'dim'}>{keys}</Paint>
      {message ? <Paint tone="accent">{'  ' + message}</Paint> : ''}
    </Line>
  );
}
