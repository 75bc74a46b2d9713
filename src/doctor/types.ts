/** One line of `voc doctor`: what was checked, the verdict, and for anything not ok, what to do. */
export interface Check {
  /** short id: node, config, home, socket, disk, store, migrations, redis, cluster, endpoint, key, model, json_mode */
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  /** one line of what to do; set on warn and fail */
  fix?: string;
  data?: Record<string, unknown>;
}

export const ok = (name: string, detail: string, data?: Record<string, unknown>): Check => ({
  name,
  status: 'ok',
  detail,
  ...(data ? { data } : {}),
});
export const warn = (name: string, detail: string, fix: string, data?: Record<string, unknown>): Check => ({
  name,
  status: 'warn',
  detail,
  fix,
  ...(data ? { data } : {}),
});
export const fail = (name: string, detail: string, fix: string, data?: Record<string, unknown>): Check => ({
  name,
  status: 'fail',
  detail,
  fix,
  ...(data ? { data } : {}),
});
export const skip = (name: string, detail: string): Check => ({ name, status: 'skip', detail });

/** Rejects after `ms` with a message that says so: a dead server must not hang the doctor. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
