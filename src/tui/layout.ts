import type { Stats } from '../daemon/stats-types.js';

/** Columns from which the screen splits into two columns. */
export const WIDE_FROM = 120;

/** Fixed heights (lines) of the panels; the cluster and events panels share what is left. */
export const HEIGHTS = { header: 2, lanes: 7, poolsGateway: 6, gateway: 6, classifier: 3, backlog: 2, buffer: 1, footer: 1 } as const;

/** Width of one daemon in the packed cluster form. */
export const PACKED_CELL = 26;

export interface ClusterLayout {
  /** several daemons to a line (short terminals) instead of a row each */
  packed: boolean;
  /** lines of daemons shown under the title */
  lines: number;
  /** totals on the title line instead of a line of their own */
  totalsInline: boolean;
}

export interface Layout {
  width: number;
  wide: boolean;
  /** width of the left column (the whole width when narrow) */
  left: number;
  /** width of the right column (narrow: the gateway half beside the pools) */
  right: number;
  /** null: no cluster panel (a single daemon) */
  cluster: ClusterLayout | null;
  /** lines the cluster panel takes, title included */
  clusterHeight: number;
  /** events shown; 0 hides the panel */
  eventRows: number;
  sparkWidth: number;
}

/** Rows per daemon when there is room, else packed; never more lines than `room`. */
function fitCluster(daemons: number, room: number, width: number, totalsInline: boolean): ClusterLayout {
  const head = totalsInline ? 1 : 2;
  if (head + daemons <= room) return { packed: false, lines: daemons, totalsInline };
  const perLine = Math.max(1, Math.floor(width / PACKED_CELL));
  return { packed: true, lines: Math.max(0, Math.min(Math.ceil(daemons / perLine), room - head)), totalsInline };
}

/**
 * Decide the layout from the terminal size. The frame stays one line shorter than the terminal: Ink clears
 * the whole screen on every frame when the output is as tall as the terminal, which flickers.
 */
export function layoutFor(stats: Stats | null, width: number, height: number, footer = true): Layout {
  const w = Math.max(40, Math.floor(width));
  const maxLines = Math.max(10, Math.floor(height) - 1);
  const daemons = stats?.cluster && stats.cluster.daemons.length > 1 ? stats.cluster.daemons.length : 0;
  const foot = footer ? HEIGHTS.footer : 0;
  if (w >= WIDE_FROM) {
    // the lanes table is 72 columns; everything else goes to the right column
    const left = 74;
    const right = w - left - 2;
    const room = maxLines - HEIGHTS.header - foot - HEIGHTS.gateway;
    const cluster = daemons ? fitCluster(daemons, Math.min(room - 3, 2 + daemons), right, false) : null;
    const clusterHeight = cluster ? 2 + cluster.lines : 0;
    const rest = room - clusterHeight;
    return {
      width: w,
      wide: true,
      left,
      right,
      cluster,
      clusterHeight,
      eventRows: rest >= 2 ? rest - 1 : 0,
      sparkWidth: Math.min(60, right - 5),
    };
  }
  const right = Math.floor((w - 2) / 2);
  const buffer = stats?.ingestBuffer ? HEIGHTS.buffer : 0;
  const fixed = HEIGHTS.header + HEIGHTS.lanes + HEIGHTS.poolsGateway + HEIGHTS.classifier + HEIGHTS.backlog + buffer + foot;
  const room = maxLines - fixed;
  const cluster = daemons ? fitCluster(daemons, room, w, true) : null;
  const clusterHeight = cluster ? 1 + cluster.lines : 0;
  const rest = room - clusterHeight;
  return {
    width: w,
    wide: false,
    left: w,
    right,
    cluster,
    clusterHeight,
    eventRows: rest >= 2 ? rest - 1 : 0,
    sparkWidth: Math.min(60, right - 5),
  };
}
