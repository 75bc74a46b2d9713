import { useEffect, useRef, useState } from 'react';
import { useApp, useInput, useStdout } from 'ink';
import type { DaemonClient, Stats } from '../daemon/api.js';
import { errorMessage } from '../errors.js';
import { Screen } from './App.js';
import type { KeyMode } from './Footer.js';
import { laneForDigit } from './lanes-meta.js';

/** What the live screen needs from the daemon client (a subset, so tests pass a small fake). */
export type StatusClient = Pick<DaemonClient, 'streamStats' | 'pause' | 'resume'>;

export interface LiveStatusProps {
  client: StatusClient;
  /** the frame fetched before the screen opened, so it never starts blank */
  initial?: Stats | null;
}

function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const read = () => ({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/**
 * The live screen: follows the daemon's stats stream, redraws on every frame, and turns `p` + digit into a
 * pause or resume of that lane. `q` quits; Ctrl-C is Ink's own exit.
 */
export function LiveStatus({ client, initial = null }: LiveStatusProps) {
  const { exit } = useApp();
  const { width, height } = useTerminalSize();
  const [stats, setStats] = useState<Stats | null>(initial);
  const [mode, setModeState] = useState<KeyMode>('keys');
  // the key handler reads the mode from a ref: "p4" typed fast arrives before React re-subscribes the handler
  const modeRef = useRef<KeyMode>('keys');
  const setMode = (m: KeyMode) => {
    modeRef.current = m;
    setModeState(m);
  };
  const [message, setMessage] = useState<string | null>(null);
  const latest = useRef<Stats | null>(initial);

  useEffect(() => {
    const ac = new AbortController();
    client
      .streamStats((s) => {
        latest.current = s;
        setStats(s);
      }, ac.signal)
      .then(() => {
        if (!ac.signal.aborted) setMessage('daemon stream ended (stopped?); q quits');
      })
      .catch((err: unknown) => {
        if (!ac.signal.aborted) setMessage(`stream lost: ${errorMessage(err)}`);
      });
    return () => ac.abort();
  }, [client]);

  const onKey = (input: string, escape: boolean) => {
    if (modeRef.current === 'pick-lane') {
      setMode('keys');
      if (escape) return;
      const lane = laneForDigit(input);
      if (!lane) {
        setMessage(`no lane ${JSON.stringify(input)}; use 1-6`);
        return;
      }
      const paused = latest.current?.lanes[lane]?.paused ?? false;
      setMessage(`${paused ? 'resuming' : 'pausing'} ${lane}…`);
      (paused ? client.resume(lane) : client.pause(lane))
        .then((r) => setMessage(`${r.lane} ${r.paused ? 'paused: queued work waits' : 'resumed'}`))
        .catch((err: unknown) => setMessage(`${lane}: ${errorMessage(err)}`));
      return;
    }
    if (input === 'q') exit();
    else if (input === 'p') setMode('pick-lane');
  };

  useInput((input, key) => {
    // keys typed faster than a frame arrive as one chunk ("p4"): take them one by one
    if (key.escape || key.ctrl || key.meta || input.length <= 1) onKey(input, key.escape || key.meta);
    else for (const ch of input) onKey(ch, false);
  });

  return <Screen stats={stats} width={width} height={height} mode={mode} message={message} />;
}
