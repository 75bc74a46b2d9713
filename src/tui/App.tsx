import { Box, Text } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { layoutFor } from './layout.js';
import { Header } from './Header.js';
import { Lanes } from './Lanes.js';
import { Pools } from './Pools.js';
import { Gateway } from './Gateway.js';
import { Classifier } from './Classifier.js';
import { Backlog, IngestBuffer } from './Backlog.js';
import { Cluster } from './Cluster.js';
import { Events } from './Events.js';
import { Footer, type KeyMode } from './Footer.js';
import { Line } from './theme.js';

export interface ScreenProps {
  stats: Stats | null;
  width: number;
  height: number;
  mode?: KeyMode;
  message?: string | null;
  /** wall clock for "last beat ... ago"; a prop so frames are reproducible */
  now?: number;
  /** the footer of keys only makes sense on the live screen */
  footer?: boolean;
}

/** Vertical rule between the two columns, as tall as the row it separates. */
function Rule({ height }: { height: number }) {
  return (
    <Box flexDirection="column" width={2}>
      {Array.from({ length: height }, (_, i) => (
        <Text key={i}>{'│ '}</Text>
      ))}
    </Box>
  );
}

/**
 * The whole status screen for one Stats object. Pure: same stats and size, same frame. 80x24 gets one
 * column (pools beside the gateway); from 120 columns the gateway, cluster and events move to the right.
 */
export function Screen({ stats, width, height, mode = 'keys', message = null, now = Date.now(), footer = true }: ScreenProps) {
  const lay = layoutFor(stats, width, height, footer);
  if (!stats) {
    return (
      <Box flexDirection="column" width={lay.width}>
        <Line>voc status: waiting for the first stats frame…</Line>
        {footer ? <Footer mode={mode} message={message} /> : null}
      </Box>
    );
  }
  const clusterPanel = lay.cluster ? <Cluster stats={stats} lay={lay.cluster} width={lay.wide ? lay.right : lay.width} now={now} /> : null;
  const eventsPanel = lay.eventRows > 0 ? <Events stats={stats} rows={lay.eventRows} width={lay.wide ? lay.right : lay.width} /> : null;
  const foot = footer ? <Footer mode={mode} message={message} /> : null;

  if (lay.wide) {
    const rightHeight = 6 + lay.clusterHeight + (lay.eventRows > 0 ? 1 + Math.min(lay.eventRows, stats.events?.length ?? 0) : 0);
    return (
      <Box flexDirection="column" width={lay.width}>
        <Header stats={stats} width={lay.width} />
        <Box flexDirection="row">
          <Box flexDirection="column" width={lay.left}>
            <Lanes stats={stats} width={lay.left} />
            <Pools stats={stats} width={lay.left} />
            <Classifier stats={stats} width={lay.left} />
            <Backlog stats={stats} width={lay.left} />
            <IngestBuffer stats={stats} />
          </Box>
          <Rule height={Math.max(stats.ingestBuffer ? 19 : 18, rightHeight)} />
          <Box flexDirection="column" width={lay.right}>
            <Gateway stats={stats} width={lay.right} sparkWidth={lay.sparkWidth} />
            {clusterPanel}
            {eventsPanel}
          </Box>
        </Box>
        {foot}
      </Box>
    );
  }
  const poolsWidth = lay.width - lay.right - 2;
  return (
    <Box flexDirection="column" width={lay.width}>
      <Header stats={stats} width={lay.width} />
      <Lanes stats={stats} width={lay.width} />
      <Box flexDirection="row" width={lay.width}>
        <Pools stats={stats} width={poolsWidth} />
        <Rule height={6} />
        <Gateway stats={stats} width={lay.right} sparkWidth={lay.sparkWidth} />
      </Box>
      <Classifier stats={stats} width={lay.width} />
      <Backlog stats={stats} width={lay.width} />
      <IngestBuffer stats={stats} />
      {clusterPanel}
      {eventsPanel}
      {foot}
    </Box>
  );
}
