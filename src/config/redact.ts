/** Secrets never leave the process: API keys and passwords in URLs are masked wherever text is shown or logged. */
const SECRET_KEYS = /(api[-_]?key|password|secret|token$|authorization)/i;

/** The environment variables that may carry the LLM API key, first set wins (here, not in load.ts: the error funnel
 * needs it without loading zod at start-up). */
export const API_KEY_ENV = ['VOC_LLM_API_KEY', 'DASHSCOPE_API_KEY', 'OPENAI_API_KEY'] as const;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]+:)[^@]+@/, '$1***@');
  }
}

/** Deep copy with secret fields replaced by "***" (null stays null) and URL passwords masked. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEYS.test(k) && typeof v === 'string') out[k] = v ? '***' : v;
      else if (typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/]*:[^@/]*@/i.test(v)) out[k] = redactUrl(v);
      else out[k] = redact(v);
    }
    return out as T;
  }
  return value;
}

/**
 * Every secret value in a configuration tree (fields named like a key or password, passwords inside URLs), so
 * that text can be scrubbed of them whichever layer (file, environment, flag) set them.
 */
export function secretsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) secretsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && v && SECRET_KEYS.test(k)) out.push(v);
      else if (typeof v === 'string') {
        const pw = /^[a-z][a-z0-9+.-]*:\/\/[^/:@]*:([^@/]+)@/i.exec(v)?.[1];
        if (pw) out.push(pw, safeDecode(pw));
      } else secretsIn(v, out);
    }
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The secrets of every configuration this process loaded: the error funnel masks them in what it prints. */
const loadedSecrets = new Set<string>();

export function rememberSecrets(secrets: string[]): void {
  for (const s of secrets) if (s) loadedSecrets.add(s);
}

export function knownSecrets(): string[] {
  return [...loadedSecrets];
}

/** Replace every occurrence of the given secrets in free text (error messages, log lines). */
export function scrubText(text: string, secrets: Array<string | null | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('***');
  }
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@');
}
