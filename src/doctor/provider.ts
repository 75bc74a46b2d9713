import type { Config } from '../config/schema.js';
import { usesSimulator } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { DASHSCOPE_REGIONS, isDashScope, regionOf, type Region } from '../llm/regions.js';
import { costOf, estimateTokens } from '../llm/usage.js';
import { fail, ok, skip, warn, type Check } from './types.js';

const TIMEOUT_MS = 10_000;
const REGION_TIMEOUT_MS = 5000;

export interface ProviderOptions {
  /** make one tiny chat call in JSON mode (its cost is announced first through onNotice) */
  call?: boolean;
  onNotice?: (line: string) => void;
  /** DashScope's regions; tests give their own endpoints */
  regions?: Region[];
}

interface Answer {
  status: number;
  body: unknown;
}

const trimmed = (u: string) => u.replace(/\/+$/, '');

async function request(
  url: string,
  key: string | null,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(init.timeoutMs ?? TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

const apiMessage = (a: Answer): string => {
  const e = (a.body as { error?: { message?: string; code?: string } })?.error;
  return e?.message ? `${e.message.trim()}${e.code ? ` (${e.code})` : ''}` : typeof a.body === 'string' ? a.body.slice(0, 120) : '';
};

/**
 * 401 from DashScope means a wrong key OR a key of another region: the key is tried on the other regions' /models
 * (the same provider, read-only) and the verdict names the one that accepts it, or says it is wrong everywhere.
 */
async function keyRefused(config: Config, key: string | null, regions: Region[]): Promise<Check> {
  const base = config.llm.baseUrl;
  const here = regionOf(base, regions);
  const where = here ? `the ${here.name} endpoint (${new URL(base).host})` : new URL(base).host;
  if (!isDashScope(base, regions)) {
    return fail(
      'key',
      `the API key is refused by ${where} (HTTP 401)`,
      'check llm.apiKey (VOC_LLM_API_KEY / OPENAI_API_KEY): create a new key in the provider console',
    );
  }
  if (!key)
    return fail(
      'key',
      `${where} wants an API key and none is set`,
      'export DASHSCOPE_API_KEY=... (a key of the same region as llm.baseUrl)',
    );
  // asked together: a region that does not answer (a firewall) proves nothing and must not stall the others
  const others = regions.filter((r) => r !== here);
  const accepted = await Promise.all(
    others.map((r) =>
      request(`${trimmed(r.baseUrl)}/models`, key, { timeoutMs: REGION_TIMEOUT_MS }).then(
        (a) => a.status === 200,
        () => false,
      ),
    ),
  );
  const r = others.find((_r, i) => accepted[i]);
  if (r) {
    return fail(
      'key',
      `the key is refused by ${where} but accepted by ${r.name}: a DashScope key belongs to one region`,
      `set llm.baseUrl (VOC_LLM_BASE_URL) to ${r.baseUrl}, or use a key made in the ${here?.name ?? 'matching'} console`,
      { region: here?.id ?? null, keyRegion: r.id },
    );
  }
  const region = here?.name ?? 'an unlisted region';
  return fail(
    'key',
    `the key is refused by ${where} and by the other DashScope regions: it is wrong or revoked (a key belongs to one region; this base URL is ${region})`,
    `create a key in the ${here?.name ?? 'matching'} region's console and set DASHSCOPE_API_KEY`,
    { region: here?.id ?? null, keyRegion: null },
  );
}

/** The endpoint answers, the key is accepted, the model exists, JSON mode works (with --call). */
export async function checkProvider(config: Config, o: ProviderOptions = {}): Promise<Check[]> {
  const llm = config.llm;
  if (usesSimulator(config)) {
    return [
      warn(
        'endpoint',
        'no API key: the built-in simulator answers, translations are NOT real',
        'export DASHSCOPE_API_KEY=... (or VOC_LLM_API_KEY) for real answers',
      ),
    ];
  }
  const regions = o.regions ?? DASHSCOPE_REGIONS;
  const base = trimmed(llm.baseUrl);
  const key = llm.apiKey;
  const region = regionOf(base, regions);
  const where = `${new URL(base).host}${region ? ` (DashScope ${region.name})` : ''}`;
  const out: Check[] = [];
  let models: Answer;
  try {
    models = await request(`${base}/models`, key);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err);
    return [fail('endpoint', `${where} does not answer: ${cause}`, 'check llm.baseUrl (VOC_LLM_BASE_URL), the network and any proxy')];
  }
  out.push(ok('endpoint', `${where} answers`, { region: region?.id ?? null }));
  if (models.status === 401 || models.status === 403) return [...out, await keyRefused(config, key, regions), skip('model', 'key refused')];
  let listed: string[] | null = null;
  if (models.status === 200) {
    out.push(ok('key', `the key is accepted${key ? '' : ' (none needed)'}`));
    const data = (models.body as { data?: Array<{ id?: string }> })?.data;
    listed = Array.isArray(data) ? data.map((m) => String(m.id)) : null;
    if (listed && !listed.includes(llm.model)) {
      const some = listed.slice(0, 8).join(', ');
      const offered = `${some}${listed.length > 8 ? ', ...' : ''}`;
      out.push(
        fail(
          'model',
          `model ${llm.model} is not offered by ${where}; it offers ${offered}`,
          'set llm.model (VOC_LLM_MODEL) to one it offers',
        ),
      );
      return out;
    }
    if (listed) out.push(ok('model', `model ${llm.model} exists`));
  } else if (models.status === 404) {
    out.push(
      warn(
        'key',
        `${where} has no GET /models: the key cannot be checked without a call`,
        'run voc doctor --call (one tiny chat call, its cost printed first)',
      ),
    );
  } else {
    out.push(
      fail(
        'key',
        `GET /models answered HTTP ${models.status}: ${apiMessage(models)}`,
        'retry later; if it persists, check the provider status page',
      ),
    );
    return out;
  }
  if (!o.call) {
    out.push(skip('json_mode', 'JSON mode is checked with --call (one tiny chat call)'));
    return out;
  }
  return [...out, ...(await chatCall(config, key, where, regions, o))];
}

/** One tiny JSON-mode call, its price announced before it is made. */
async function chatCall(config: Config, key: string | null, where: string, regions: Region[], o: ProviderOptions): Promise<Check[]> {
  const llm = config.llm;
  const messages = [
    { role: 'system', content: 'Answer in JSON only.' },
    { role: 'user', content: 'Reply with this JSON object: {"ok": true}' },
  ];
  const maxTokens = 16;
  const promptTokens = estimateTokens(messages.map((m) => m.content).join('\n')) + 10;
  const price = costOf(config, llm.model, { promptTokens, completionTokens: maxTokens });
  const priced = llm.prices[llm.model]
    ? `at most ${price.toFixed(6)} ${llm.currency}`
    : 'price unknown (no llm.prices entry for this model)';
  o.onNotice?.(
    `voc doctor --call: one chat call to ${llm.model} of about ${promptTokens} prompt + ${maxTokens} completion tokens, ${priced}`,
  );
  let a: Answer;
  try {
    const body = { model: llm.model, messages, response_format: { type: 'json_object' }, max_tokens: maxTokens };
    a = await request(`${trimmed(llm.baseUrl)}/chat/completions`, key, { method: 'POST', body });
  } catch (err) {
    return [
      fail(
        'json_mode',
        `the chat call got no answer: ${errorMessage(err)}`,
        'check llm.baseUrl and the network; raise llm.timeoutMs if the provider is slow',
      ),
    ];
  }
  if (a.status === 401 || a.status === 403) return [await keyRefused(config, key, regions)];
  const msg = apiMessage(a);
  if (a.status === 404 || /model_not_found|does not exist/i.test(msg)) {
    return [
      fail('model', `model ${llm.model} is not offered by ${where}: ${msg}`, 'set llm.model (VOC_LLM_MODEL) to a model of this endpoint'),
    ];
  }
  if (a.status === 400 && /json|response_format/i.test(msg)) {
    return [
      fail(
        'json_mode',
        `model ${llm.model} refuses JSON mode: ${msg}`,
        'batches need JSON mode: use qwen-flash, qwen-turbo or qwen-plus (llm.model)',
      ),
    ];
  }
  if (a.status !== 200)
    return [
      fail('json_mode', `the chat call answered HTTP ${a.status}: ${msg}`, 'retry later; if it persists, check the provider status page'),
    ];
  const body = a.body as {
    choices?: Array<{ message?: { content?: string } }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const content = body.choices?.[0]?.message?.content ?? '';
  const usage = {
    promptTokens: body.usage?.prompt_tokens ?? promptTokens,
    completionTokens: body.usage?.completion_tokens ?? estimateTokens(content),
  };
  const cost = costOf(config, llm.model, usage);
  try {
    JSON.parse(content);
  } catch {
    return [
      fail(
        'json_mode',
        `model ${llm.model} answered in JSON mode with text that is not JSON`,
        'use a model that supports JSON mode (qwen-flash, qwen-turbo, qwen-plus)',
      ),
    ];
  }
  return [ok('json_mode', `model ${llm.model} answers in JSON mode (the call cost ${cost.toFixed(6)} ${llm.currency})`, { cost, usage })];
}
