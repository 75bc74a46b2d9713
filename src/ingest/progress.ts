import cliProgress from 'cli-progress';

export interface Writer {
  write(s: string): unknown;
}

/** What `voc ingest` shows while it works; advanced when the sink acknowledges a chunk, not when it is read. */
export interface IngestProgress {
  startFile(file: string, totalBytes: number | null): void;
  /** rows acknowledged in this file so far, and the bytes read when the last acknowledged chunk was cut */
  update(rows: number, bytes: number): void;
  endFile(line: string): void;
  /** a message line (a reject) that must not tear the bar */
  note(line: string): void;
  stop(): void;
}

/** A cli-progress bar on a terminal: rows, rows/s and an ETA from bytes read against the file size. */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): IngestProgress {
  let bar: cliProgress.SingleBar | null = null;
  let started = 0;
  let sized = true;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    startFile(file, totalBytes) {
      stop();
      started = Date.now();
      sized = totalBytes !== null && totalBytes > 0;
      bar = new cliProgress.SingleBar(
        {
          stream,
          hideCursor: true,
          clearOnComplete: true,
          format: sized
            ? `${file} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}`
            : `${file} {rows} rows | {rate} rows/s`,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(sized ? totalBytes! : 1, 0, { rows: 0, rate: 0 });
    },
    update(rows, bytes) {
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      bar?.update(sized ? bytes : 0, { rows, rate: Math.round(rows / secs) });
    },
    endFile(line) {
      stop();
      stream.write(line + '\n');
    },
    note(line) {
      // wipe the bar's line, print the message; the bar redraws itself below it on its next frame
      stream.write(bar ? `\r\x1b[K${line}\n` : `${line}\n`);
    },
    stop,
  };
}

/** Plain lines for pipes and cron: one per file, and one every `every` rows of a long file. */
export function lineProgress(out: Writer, every = 100_000): IngestProgress {
  let file = '';
  let total: number | null = null;
  let next = every;
  return {
    startFile(f, totalBytes) {
      file = f;
      total = totalBytes;
      next = every;
    },
    update(rows, bytes) {
      if (rows < next) return;
      next = (Math.floor(rows / every) + 1) * every;
      const pct = total ? ` (${Math.min(100, Math.floor((bytes / total) * 100))}% of the file)` : '';
      out.write(`${file}: ${rows} rows${pct}\n`);
    },
    endFile(line) {
      out.write(line + '\n');
    },
    note(line) {
      out.write(line + '\n');
    },
    stop() {},
  };
}
