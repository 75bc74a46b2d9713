import type { Store } from '../store/db.js';
import { batchesOfJob } from '../store/batches.js';

/** What a job's batches show while they run: the provider's own counts of their requests. */
export interface BatchProgress {
  batches: number;
  requests: number;
  completed: number;
  failed: number;
  /** the first open batch's provider status (or its local state before the provider has it) */
  status: string | null;
}

export async function batchProgress(store: Store, jobId: number | null): Promise<BatchProgress> {
  const open = jobId == null ? [] : (await batchesOfJob(store, jobId)).filter((b) => b.state !== 'done');
  const sum = (f: (b: (typeof open)[number]) => number) => open.reduce((n, b) => n + Number(f(b)), 0);
  return {
    batches: open.length,
    requests: sum((b) => b.requests),
    completed: sum((b) => b.completed),
    failed: sum((b) => b.failed),
    status: open[0]?.provider_status ?? open[0]?.state ?? null,
  };
}

/** What a job's Batch API requests cost, from its usage rows (billed at the batch price). */
export interface BatchUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

export async function batchUsage(store: Store, jobId: number | null): Promise<BatchUsage> {
  if (jobId == null) return { requests: 0, promptTokens: 0, completionTokens: 0, cost: 0 };
  const u = await store
    .knex('llm_usage')
    .where({ job_id: jobId, batch: true })
    .sum({ p: 'prompt_tokens', c: 'completion_tokens', cost: 'cost' })
    .count({ n: '*' })
    .first();
  return { requests: Number(u?.n ?? 0), promptTokens: Number(u?.p ?? 0), completionTokens: Number(u?.c ?? 0), cost: Number(u?.cost ?? 0) };
}

/** The batches of a job, for its summary. */
export async function batchList(store: Store, jobId: number | null) {
  const rows = jobId == null ? [] : await batchesOfJob(store, jobId);
  return rows.map((b) => ({
    id: Number(b.id),
    kind: b.kind,
    status: b.provider_status,
    requests: Number(b.requests),
    completed: Number(b.completed),
    failed: Number(b.failed),
  }));
}
