import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZodError } from 'zod';
import { ConfigError, errorMessage } from '../errors.js';
import { closestOption, describeOptions, unknownOptions } from './describe.js';
import { configSchema, type Config } from './schema.js';
import { API_KEY_ENV, rememberSecrets, secretsIn } from './redact.js';

/** The package root: config/default.json and samples/ live there, in the repo and in the installed package. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function loadDefaults(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'config', 'default.json'), 'utf8'));
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars replace. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  }
  return out;
}

/** Set a dotted path ("llm.qps") in a nested object. */
export function setPath(obj: Plain, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]] = value;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** --config FILE; otherwise $VOC_HOME/config.json when it exists */
  configFile?: string;
  /** flags, as dotted paths: { 'llm.qps': 10 } */
  overrides?: Record<string, unknown>;
}

/** The environment layer, and which variable set each option (for `voc doctor`). */
function envLayer(env: NodeJS.ProcessEnv, names: Record<string, string> = {}): Plain {
  const layer: Plain = {};
  const str = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const set = (dotted: string, name: string, value: unknown) => {
    setPath(layer, dotted, value);
    names[dotted] = name;
  };
  if (str(env.VOC_DATABASE_URL)) set('store.databaseUrl', 'VOC_DATABASE_URL', env.VOC_DATABASE_URL);
  if (str(env.VOC_REDIS_URL)) set('redis.url', 'VOC_REDIS_URL', env.VOC_REDIS_URL);
  if (str(env.VOC_LLM_BASE_URL)) set('llm.baseUrl', 'VOC_LLM_BASE_URL', env.VOC_LLM_BASE_URL);
  if (str(env.VOC_LLM_MODEL)) set('llm.model', 'VOC_LLM_MODEL', env.VOC_LLM_MODEL);
  const keyVar = API_KEY_ENV.find((k) => str(env[k]));
  if (keyVar) set('llm.apiKey', keyVar, env[keyVar]);
  if (str(env.VOC_QPS)) {
    const n = Number(env.VOC_QPS);
    set('llm.qps', 'VOC_QPS', Number.isFinite(n) ? n : env.VOC_QPS);
  }
  if (str(env.VOC_LOG_LEVEL)) set('daemon.logLevel', 'VOC_LOG_LEVEL', env.VOC_LOG_LEVEL!.toLowerCase());
  return layer;
}

/** Dotted paths of every leaf (arrays and scalars) an object sets. */
function leaves(obj: Plain, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (isPlain(v) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

export interface ConfigSource {
  path: string;
  /** `file /path/config.json`, `env VOC_QPS` or `flag` */
  from: string;
}

/** Where each option that is not a default comes from, the highest layer winning (`voc doctor`). */
export function configSources(opts: LoadOptions = {}): ConfigSource[] {
  const env = opts.env ?? process.env;
  const home = resolveHome(env);
  const from = new Map<string, string>();
  from.set('home', env.VOC_HOME ? 'env VOC_HOME' : 'default');
  const file = opts.configFile ?? path.join(home, 'config.json');
  if (opts.configFile || existsSync(file)) for (const p of leaves(readJsonFile(file))) from.set(p, `file ${file}`);
  const names: Record<string, string> = {};
  envLayer(env, names);
  for (const [p, name] of Object.entries(names)) from.set(p, `env ${name}`);
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) from.set(k, 'flag');
  return [...from].map(([p, f]) => ({ path: p, from: f })).sort((a, b) => a.path.localeCompare(b.path));
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.VOC_HOME && env.VOC_HOME !== '' ? env.VOC_HOME : path.join(homedir(), '.voc');
  return path.resolve(h);
}

function readJsonFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (!isPlain(parsed)) throw new Error('not an object');
    return parsed;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not a JSON object: ${errorMessage(err)}`);
  }
}

function describeIssue(err: ZodError, merged: Plain): string {
  const issue = err.issues[0];
  const where = issue.path.join('.');
  let value: unknown = merged;
  for (const k of issue.path) value = isPlain(value) || Array.isArray(value) ? (value as Plain)[k as string] : undefined;
  const shown = /apiKey|databaseUrl|url/i.test(where) ? '(hidden)' : JSON.stringify(value);
  return `invalid config: ${where || '(root)'} = ${shown}: ${issue.message}`;
}

/** Every option of a config file must exist: a misspelt one (`llm.qsp`) would leave its default in force unnoticed. */
function checkKnown(fromFile: Plain, file: string): void {
  const unknown = unknownOptions(configSchema, fromFile);
  if (!unknown.length) return;
  const known = describeOptions(configSchema, loadDefaults()).map((o) => o.path);
  const near = closestOption(unknown[0], known);
  const more = unknown.length > 1 ? ` (and ${unknown.slice(1).join(', ')})` : '';
  throw new ConfigError(
    `invalid config: ${file} sets ${unknown[0]}, which is not an option${more}`,
    near ? `did you mean ${near}? \`voc config --help\` lists every option` : '`voc config --help` lists every option',
  );
}

/** Layers: defaults <- config file <- environment <- flags, validated once. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const home = resolveHome(env);
  let merged: Plain = loadDefaults();
  const file = opts.configFile ?? path.join(home, 'config.json');
  if (opts.configFile || existsSync(file)) {
    const fromFile = readJsonFile(file);
    checkKnown(fromFile, file);
    merged = deepMerge(merged, fromFile);
  }
  merged = deepMerge(merged, envLayer(env));
  const flags: Plain = {};
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(flags, k, v);
  merged = deepMerge(merged, flags);
  merged.home = home;
  // before validation: a bad config must not print the key it carries either
  rememberSecrets(secretsIn(merged));
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, merged), 'see `voc config --help` for every option');
  checkRouting(parsed.data);
  checkLeases(parsed.data);
  return parsed.data;
}

/**
 * A claim's lease is renewed by the heartbeat: at least three beats must fit in a lease, or one late beat (a busy
 * event loop, a slow store) lets a live daemon's claims expire and another daemon redo work it is doing.
 */
function checkLeases(cfg: Config): void {
  const { leaseMs, heartbeatMs } = cfg.daemon;
  if (heartbeatMs * 3 > leaseMs) {
    throw new ConfigError(
      `invalid config: daemon.heartbeatMs (${heartbeatMs}) must be at most a third of daemon.leaseMs (${leaseMs}), so a lease outlives a late heartbeat`,
    );
  }
}

/** Lanes and pools must describe the same graph, and the base pool must never call the LLM. */
function checkRouting(cfg: Config): void {
  for (const [lane, def] of Object.entries(cfg.lanes)) {
    for (const p of def!.pools) {
      if (!cfg.pools[p]?.lanes.includes(lane as never)) {
        throw new ConfigError(`invalid config: lanes.${lane}.pools lists "${p}", but pools.${p}.lanes does not list "${lane}"`);
      }
    }
  }
  for (const [p, def] of Object.entries(cfg.pools)) {
    for (const lane of def!.lanes) {
      if (!cfg.lanes[lane]?.pools.includes(p as never)) {
        throw new ConfigError(`invalid config: pools.${p}.lanes lists "${lane}", but lanes.${lane}.pools does not list "${p}"`);
      }
    }
  }
}

/**
 * True when the built-in simulator answers: forced, or (auto) no API key and the endpoint is still the default
 * cloud one. A key-less custom endpoint (a local vLLM, a `voc sim` on another port) is called as configured.
 */
export function usesSimulator(cfg: Config): boolean {
  if (cfg.llm.simulator === 'always') return true;
  if (cfg.llm.simulator === 'never') return false;
  return !cfg.llm.apiKey && cfg.llm.baseUrl === (loadDefaults().llm as Plain).baseUrl;
}
