import type { ReactElement } from 'react';
import { Box } from 'ink';
import type { DaemonRow, Stats } from '../daemon/stats-types.js';
import { compact, duration, padEnd, sanitize } from './format.js';
import { PACKED_CELL, type ClusterLayout } from './layout.js';
import { Line, Paint } from './theme.js';

function State({ d, now, long }: { d: DaemonRow; now: number; long: boolean }) {
  const beat = duration(Math.max(0, (now - d.heartbeatAt) / 1000));
  if (!d.alive) {
    return (
      <>
        <Paint tone="bad">gone</Paint>
        {long ? ` last beat ${beat} ago` : ` ${beat}`}
      </>
    );
  }
  return (
    <>
      <Paint tone="ok">alive</Paint>
      {long ? ` active ${compact(d.active)} win ${compact(d.gatewayWindow)}` : ` act ${compact(d.active)}`}
    </>
  );
}

/**
 * Several daemons on one store: totals, and each daemon from its heartbeat (gone when it stopped beating).
 * A row per daemon when there is room; packed several to a line on a short terminal.
 */
export function Cluster({ stats, lay, width, now }: { stats: Stats; lay: ClusterLayout; width: number; now: number }) {
  const cl = stats.cluster;
  if (!cl) return null;
  const alive = cl.daemons.filter((d) => d.alive).length;
  const t = cl.totals;
  const totals = `active ${compact(t.active)} · done ${compact(t.done)} · failed ${compact(t.failed)}`;
  const self = (d: DaemonRow) => (d.id === stats.daemon.id ? '*' : ' ');
  let body: ReactElement[];
  if (lay.packed) {
    const perLine = Math.max(1, Math.floor(width / PACKED_CELL));
    body = Array.from({ length: lay.lines }, (_, li) => (
      <Box key={li} flexDirection="row" width={width}>
        {cl.daemons.slice(li * perLine, (li + 1) * perLine).map((d) => (
          <Box key={d.id} width={PACKED_CELL} flexShrink={0}>
            <Line>
              {`${self(d)}${padEnd(sanitize(d.id), 9)} `}
              <State d={d} now={now} long={false} />
            </Line>
          </Box>
        ))}
      </Box>
    ));
  } else {
    body = cl.daemons.slice(0, lay.lines).map((d) => (
      <Line key={d.id}>
        {`${self(d)}${padEnd(sanitize(d.id), 10)} ${padEnd(`${sanitize(d.host)}:${d.pid}`, 14)} `}
        <State d={d} now={now} long />
      </Line>
    ));
  }
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">Cluster</Paint>
        {` ${cl.daemons.length} daemons, ${alive} alive`}
        {lay.totalsInline ? ` · ${totals}` : ''}
      </Line>
      {lay.totalsInline ? null : <Line>{`  totals: ${totals}`}</Line>}
      {body}
    </Box>
  );
}
