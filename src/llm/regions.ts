/**
 * DashScope's regions (OpenAI-compatible mode). An API key belongs to the region whose console created it; any
 * other region answers 401 exactly as for a wrong key, so only trying the key elsewhere tells the two apart.
 */
export interface Region {
  id: string;
  name: string;
  baseUrl: string;
}

export const DASHSCOPE_REGIONS: Region[] = [
  { id: 'cn-beijing', name: 'China (Beijing)', baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1' },
  { id: 'ap-southeast-1', name: 'Singapore', baseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1' },
  { id: 'us-east-1', name: 'US (Virginia)', baseUrl: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1' },
  { id: 'cn-hongkong', name: 'China (Hong Kong)', baseUrl: 'https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1' },
];

const origin = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** The region of a base URL (same origin), or null. */
export function regionOf(baseUrl: string, regions: Region[] = DASHSCOPE_REGIONS): Region | null {
  const o = origin(baseUrl);
  return regions.find((r) => origin(r.baseUrl) === o) ?? null;
}

/** DashScope, by its host names or its compatible-mode path (workspace domains `*.maas.aliyuncs.com` included). */
export function isDashScope(baseUrl: string, regions: Region[] = DASHSCOPE_REGIONS): boolean {
  if (regionOf(baseUrl, regions)) return true;
  try {
    const u = new URL(baseUrl);
    return /(^|\.)dashscope[\w-]*\.aliyuncs\.com$|\.maas\.aliyuncs\.com$/.test(u.hostname) || u.pathname.startsWith('/compatible-mode/');
  } catch {
    return false;
  }
}
