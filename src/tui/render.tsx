import { stripVTControlCharacters } from 'node:util';
import { renderToString } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { Screen } from './App.js';
import { ColorContext } from './theme.js';

export interface FrameOptions {
  width?: number;
  height?: number;
  color?: boolean;
  now?: number;
  /** the live screen's line of keys (off for --once) */
  footer?: boolean;
}

/**
 * One frame of the status screen as a string: what `voc status --once` prints and what `voc demo` and the
 * tests reuse. Without colour it carries no escape sequence at all (pipes, cron, NO_COLOR).
 */
export function renderFrame(stats: Stats, opts: FrameOptions = {}): string {
  const width = Math.max(40, Math.floor(opts.width ?? 80));
  const height = Math.max(10, Math.floor(opts.height ?? 24));
  const color = opts.color ?? false;
  const out = renderToString(
    <ColorContext.Provider value={color}>
      <Screen stats={stats} width={width} height={height} now={opts.now} footer={opts.footer ?? false} />
    </ColorContext.Provider>,
    { columns: width },
  );
  const text = color ? out : stripVTControlCharacters(out);
  return text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
}
