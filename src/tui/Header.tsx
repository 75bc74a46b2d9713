import { Box } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { redactUrl, scrubText } from '../config/redact.js';
import { duration, sanitize } from './format.js';
import { Line, Paint } from './theme.js';

/** Who is running, on what store, through which throttle, against which model; SIMULATED cannot be missed. */
export function Header({ stats, width }: { stats: Stats; width: number }) {
  const d = stats.daemon;
  const g = stats.gateway;
  const throttle = g.throttle === 'redis' ? `redis ${d.redis ? redactUrl(d.redis) : ''}`.trim() : 'local';
  return (
    <Box flexDirection="column" width={width}>
      <Line>
        <Paint tone="title">voc status</Paint>
        {g.simulated ? <Paint tone="warn"> [SIMULATED]</Paint> : null}
        {` daemon ${sanitize(d.id)} · ${sanitize(d.host)} pid ${d.pid} · up ${duration(d.uptimeSec)} · v${sanitize(d.version)}`}
      </Line>
      <Line>
        {`store ${sanitize(scrubText(d.store, []))} · throttle ${sanitize(throttle)}`}
        {g.throttleHealthy ? '' : <Paint tone="bad"> (down)</Paint>}
        {` · llm ${sanitize(g.model)} @ ${sanitize(redactUrl(g.endpoint))}`}
      </Line>
    </Box>
  );
}
