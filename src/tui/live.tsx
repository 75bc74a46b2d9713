import { render } from 'ink';
import type { Stats } from '../daemon/stats-types.js';
import { LiveStatus, type StatusClient } from './LiveStatus.js';
import { ColorContext } from './theme.js';

/** Open the live screen on the terminal and resolve when the operator quits. */
export async function runLiveScreen(client: StatusClient, opts: { initial?: Stats | null; color?: boolean } = {}): Promise<void> {
  const app = render(
    <ColorContext.Provider value={opts.color ?? true}>
      <LiveStatus client={client} initial={opts.initial ?? null} />
    </ColorContext.Provider>,
    // stats arrive twice a second: 10 fps is plenty for keys. (Ink's incrementalRendering left stale lines
    // behind in tmux, so every frame is redrawn whole.)
    { exitOnCtrlC: true, patchConsole: false, maxFps: 10 },
  );
  await app.waitUntilExit();
}
