import { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';

/**
 * Colour is a property of the frame, not of each component: `--once` into a pipe, NO_COLOR and tests render
 * the same tree without a single escape sequence.
 */
export const ColorContext = createContext(true);

export type Tone = 'ok' | 'warn' | 'bad' | 'dim' | 'title' | 'accent';

const TONES: Record<Tone, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  ok: { color: 'green' },
  warn: { color: 'yellow' },
  bad: { color: 'red', bold: true },
  dim: { dimColor: true },
  title: { color: 'cyan', bold: true },
  accent: { color: 'magenta' },
};

/** A span of text in a tone; plain when the frame has no colour. */
export function Paint({ tone, children }: { tone?: Tone; children: ReactNode }) {
  const color = useContext(ColorContext);
  if (!color || !tone) return <Text>{children}</Text>;
  return <Text {...TONES[tone]}>{children}</Text>;
}

/** One line of the screen: never wraps, cut at the box edge. */
export function Line({ children }: { children: ReactNode }) {
  return <Text wrap="truncate-end">{children}</Text>;
}
