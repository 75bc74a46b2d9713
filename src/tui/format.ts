/**
 * Plain-string helpers for the status screen: terminal width (CJK counts 2), padding, numbers, durations,
 * bars and sparklines. Everything here is pure so frames are reproducible in tests.
 */

// East Asian wide and fullwidth ranges (the ones review texts and product names actually use), plus emoji.
const WIDE: Array<[number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  for (const [a, b] of WIDE) if (cp >= a && cp <= b) return 2;
  return 1;
}

/** Columns a string takes in a terminal. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Cut to at most `width` columns, with an ellipsis when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

export function padEnd(s: string, width: number): string {
  const t = truncate(s, width);
  return t + ' '.repeat(Math.max(0, width - displayWidth(t)));
}

export function padStart(s: string, width: number): string {
  const t = truncate(s, width);
  return ' '.repeat(Math.max(0, width - displayWidth(t))) + t;
}

/**
 * Review texts and provider messages are untrusted: drop escape sequences and control characters so an event
 * can neither colour nor move the cursor of the operator's terminal, and keep it on one line.
 */
export function sanitize(s: string): string {
  return s
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b[\]P^_][^\u0007\u001b]*(\u0007|\u001b\\)?/g, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** 1234567 -> "1,234,567"; fractions keep one decimal. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Number.isInteger(n)
    ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

/** 12345 -> "12.3k", for narrow cells. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return num(Math.round(n * 10) / 10);
}

/** Seconds -> "45s", "4m10s", "1h02m", "3d04h". */
export function duration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '-';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Milliseconds -> "850ms", "1.2s", "2m05s". */
export function ms(v: number): string {
  if (!Number.isFinite(v) || v <= 0) return '-';
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 60000) return `${(v / 1000).toFixed(1)}s`;
  return duration(v / 1000);
}

/** A filled/empty bar of exactly `width` columns. */
export function bar(value: number, cap: number, width: number): string {
  if (width <= 0) return '';
  const share = cap > 0 ? Math.min(1, Math.max(0, value / cap)) : 0;
  const full = value > 0 ? Math.max(1, Math.round(share * width)) : 0;
  return '█'.repeat(full) + '░'.repeat(width - full);
}

const TICKS = '▁▂▃▄▅▆▇█';

/** The last `width` samples as a sparkline scaled to `max` (the cap), so a full bar means "at the limit". */
export function sparkline(samples: number[], width: number, max: number): string {
  const tail = samples.slice(-Math.max(0, width));
  const top = Math.max(max, ...tail, 1);
  return tail.map((v) => (v <= 0 ? ' ' : TICKS[Math.min(TICKS.length - 1, Math.floor((v / top) * (TICKS.length - 1) + 0.5))])).join('');
}

/** "HH:MM:SS" of an epoch-ms timestamp, local time. */
export function clock(ts: number): string {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}
