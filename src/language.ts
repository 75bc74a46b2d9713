import { createRequire } from 'node:module';
import { latinLanguage } from './language-words.js';

/**
 * Which language a text is in, from its scripts, without a call or a dictionary service. Scripts decide first:
 * any kana is Japanese, any Hangul Korean (Chinese uses neither), and so are kanji in forms only Japanese writes
 * (最悪, 満足) unless as many Simplified-only forms and Chinese particles (很, 吗) stand beside them; text whose
 * letters are mostly Han is Chinese,
 * Simplified or Traditional by OpenCC's character tables; Latin text is told apart by common words. A brand name,
 * digits, emoji or `100%` in a Chinese review do not make it less Chinese: a Latin word counts as one unit against
 * each Han character, so "这款Anker充电宝很好用" is Chinese and "iPhone 15 Pro Max 很好" is not.
 */
export interface ScriptCounts {
  letters: number;
  han: number;
  kana: number;
  hangul: number;
  /** runs of Latin letters */
  latinWords: number;
  cyrillic: number;
  /** runs of letters of any other script (Greek, Thai, Arabic, ...) */
  otherWords: number;
  /** Han characters only Japanese writes (shinjitai such as 悪 満 気 売), counted within `han` */
  jaKanji: number;
}

const OTHER_LETTER = /\p{L}/u;
const HAN = /\p{Script=Han}/u;
const LATIN = /\p{Script=Latin}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;

type Kind = 0 | 1 | 2 | 3 | 4 | 5 | 6; // none, han, kana, hangul, latin, cyrillic, other

function kindOf(cp: number): Kind {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? 4 : 0;
  if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf)) return 1;
  // hiragana, katakana (with the prolonged sound mark, which Unicode files under Common, but not the middle dot),
  // half-width katakana
  if ((cp >= 0x3041 && cp <= 0x30ff && cp !== 0x30fb) || (cp >= 0x31f0 && cp <= 0x31ff) || (cp >= 0xff66 && cp <= 0xff9d)) return 2;
  if ((cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f)) return 3;
  if ((cp >= 0xc0 && cp <= 0x24f && cp !== 0xd7 && cp !== 0xf7) || (cp >= 0x1e00 && cp <= 0x1eff)) return 4;
  const ch = String.fromCodePoint(cp);
  if (!OTHER_LETTER.test(ch)) return 0;
  if (HAN.test(ch)) return 1; // astral extensions, compatibility ideographs, 々 〇
  if (LATIN.test(ch)) return 4; // full-width Latin, ligatures
  if (CYRILLIC.test(ch)) return 5;
  return 6;
}

/**
 * Kanji in the forms Japanese simplified them to (shinjitai) that neither Simplified nor Traditional Chinese writes:
 * 悪 (Chinese 恶 / 惡), 満 (满 / 滿), 気 (气 / 氣), 売 (卖 / 賣). A review written in kanji alone ("最悪", "満足") has
 * no kana to tell it from Chinese, and these are how it can be told. Derived from OpenCC's Japanese variants table:
 * its keys that OpenCC's Chinese tables neither convert nor produce, less those Chinese also writes (予 円 弁 欠 概
 * 缶 糸 萌 晃 研 瓶 翻 郎 慎 褒: 给予, 大概, 研究, 瓶子, 谨慎, 褒贬, ...).
 */
const JA_ONLY_KANJI =
  '両乗亀亜仏仮伝価倹児処剣剤剰労効勅勧勲単厳収唖営噛団囲図圏圧塁塩増壊壌壱売変奨嬢実寛対専尭巌巣巻帯帰庁広廃弐弾従徳徴応恵悩悪懐戦戻払抜択拝拠拡挙挿捜掲掻揺摂撃撹斉斎晩暁暦曽栄桜桝桟検楽様槙権歓歩歯歳歴毎気沢浄浜涙渇済渉渋渓満滝瀬焼犠猟獣畳痩発県砕稲穂穏穣竜粋粛経絵継続総縁縄縦繊繍聴脳臓艶荘蔵薫薬蛍蝋覇覚覧観訳読譲豊賛転軽辺逓遅郷酔醤醸釈鉄鉱銭鋳錬関闘陥険隠雑霊頼顕駅駆騒験髄髪鴎鶏鹸黒黙齢';
const JA_ONLY = new Uint8Array(0x10000);
for (const ch of JA_ONLY_KANJI) JA_ONLY[ch.charCodeAt(0)] = 1;

/** Kinds of the Basic Multilingual Plane, filled in as characters are first seen (255: not looked up yet). */
const BMP_KIND = new Uint8Array(0x10000).fill(255);

/** One pass over the text, code point by code point (astral characters count once). */
export function scriptCounts(s: string): ScriptCounts {
  const c: ScriptCounts = { letters: 0, han: 0, kana: 0, hangul: 0, latinWords: 0, cyrillic: 0, otherWords: 0, jaKanji: 0 };
  let prev: Kind = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    let k: number;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      cp = (cp - 0xd800) * 0x400 + (s.charCodeAt(i + 1) - 0xdc00) + 0x10000;
      i++;
      k = kindOf(cp);
    } else {
      k = BMP_KIND[cp];
      if (k === 255) BMP_KIND[cp] = k = kindOf(cp);
    }
    if (k === 0) {
      prev = 0;
      continue;
    }
    c.letters++;
    if (k === 1) {
      c.han++;
      if (cp < 0x10000 && JA_ONLY[cp] === 1) c.jaKanji++;
    } else if (k === 2) c.kana++;
    else if (k === 3) c.hangul++;
    else if (k === 4) {
      if (prev !== 4) c.latinWords++;
    } else if (k === 5) c.cyrillic++;
    else if (prev !== 6) c.otherWords++;
    prev = k as Kind;
  }
  return c;
}

/** Whether a character of the Basic Multilingual Plane is Han, as scriptCounts counts it. */
export function isHan(cu: number): boolean {
  let k = BMP_KIND[cu];
  if (k === 255) BMP_KIND[cu] = k = kindOf(cu);
  return k === 1;
}

// ---- Simplified or Traditional: OpenCC's character tables, loaded on the first Han text ----

type OpenCC = typeof import('opencc-js');
let opencc: OpenCC | null = null;
function openccModule(): OpenCC {
  // the CommonJS build, loaded on demand: most commands never see a Han character and pay nothing
  return (opencc ??= createRequire(import.meta.url)('opencc-js') as OpenCC);
}

let variantSets: { traditional: Set<number>; simplified: Set<number> } | null = null;
/** Characters that exist in one form only: keys of OpenCC's T->S and S->T character tables that change. */
function variants() {
  if (variantSets) return variantSets;
  const { Locale } = openccModule();
  const tables = (x: unknown): string[] => (Array.isArray(x) ? x.flat(2).filter((t): t is string => typeof t === 'string') : []);
  const keys = (table: string | undefined) => {
    const out = new Set<number>();
    for (const entry of (table ?? '').split('|')) {
      const [from, ...to] = entry.split(' ');
      if (from && [...from].length === 1 && to.length && to[0] !== from) out.add(from.codePointAt(0)!);
    }
    return out;
  };
  // the last table of each chain is the character table (the others are phrases)
  const ts = tables(Locale.to.cn).at(-1);
  const st = tables(Locale.from.cn).at(-1);
  variantSets = { traditional: keys(ts), simplified: keys(st) };
  return variantSets;
}

/** Characters Chinese writes in every variant and Japanese hardly ever (particles and adverbs of speech). */
const CHINESE_MARKERS = new Set('很吗呢吧啊呀哦嗯挺咋啥'.split('').map((ch) => ch.charCodeAt(0)));
function chineseMarkers(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (CHINESE_MARKERS.has(s.charCodeAt(i))) n++;
  return n;
}

/** Traditional-only and Simplified-only characters of a text. */
function variantCounts(s: string): { t: number; h: number } {
  const { traditional, simplified } = variants();
  let t = 0;
  let h = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x3400) continue;
    if (traditional.has(cp)) t++;
    else if (simplified.has(cp)) h++;
  }
  return { t, h };
}

/** 'hant' when the text has more Traditional-only than Simplified-only characters, 'hans' the other way, else 'both'. */
export function chineseVariant(s: string): 'hans' | 'hant' | 'both' {
  const { t, h } = variantCounts(s);
  return t > h ? 'hant' : h > t ? 'hans' : 'both';
}

type Converter = (s: string) => string;
const converters = new Map<string, Converter>();
/**
 * Traditional -> Simplified (mainland idioms, OpenCC's tw2sp) for a Simplified target, and the other way for a
 * Traditional one (s2twp; s2hk for zh-HK). Built once per process, on the first text that needs it.
 */
export function convertChinese(s: string, target: string): string {
  const t = target.toLowerCase();
  const key = isTraditionalTarget(t) ? (t === 'zh-hk' ? 'cn>hk' : 'cn>twp') : 'twp>cn';
  let c = converters.get(key);
  if (!c) {
    const [from, to] = key.split('>');
    c = openccModule().Converter({ from, to } as never) as Converter;
    converters.set(key, c);
  }
  return c(s);
}

export function isChineseTarget(target: string): boolean {
  return target.toLowerCase().startsWith('zh');
}

function isTraditionalTarget(t: string): boolean {
  return t === 'zh-tw' || t === 'zh-hk' || t === 'zh-mo' || t === 'zh-hant';
}

export interface Detected {
  /** BCP 47-ish: zh, zh-Hant, ja, ko, ru, en, de, es, fr, pt, it, id, or und */
  lang: string;
  /** sure enough to name the language in a prompt and to skip a text already in the target language */
  confident: boolean;
}

/** The language of a text. `und` when it cannot be told (no letters, an unknown script, no marker word). */
export function detectLanguage(s: string): Detected {
  const c = scriptCounts(s);
  if (c.letters === 0) return { lang: 'und', confident: false };
  if (c.kana > 0 && c.kana >= c.hangul) return { lang: 'ja', confident: true };
  if (c.hangul > 0) return { lang: 'ko', confident: true };
  const words = c.han + c.latinWords + c.otherWords + (c.cyrillic > 0 ? 1 : 0);
  if (c.han > 0 && c.han / words > 0.5) {
    const { t, h } = variantCounts(s);
    // kanji only Japanese writes, more of them than Simplified-only forms and Chinese particles: "最悪", "大満足" without
    // kana. A Chinese review that borrows one (元気森林很好喝, 黒色很好看) stays Chinese.
    // (Traditional-only forms are no evidence: Japanese writes many of them, 品質 as Taiwan does)
    if (c.jaKanji > 0 && c.jaKanji > h + chineseMarkers(s)) return { lang: 'ja', confident: true };
    return { lang: t > h ? 'zh-Hant' : 'zh', confident: true };
  }
  if (c.cyrillic > 0 && c.cyrillic >= c.letters / 2) return { lang: 'ru', confident: c.cyrillic >= 8 };
  if (c.latinWords > 0 && c.latinWords > c.otherWords + c.han) {
    return latinLanguage(s);
  }
  return { lang: 'und', confident: false };
}

/** Rough language of a review for the language mix (the `language` column when a file has none). */
export function guessLanguage(s: string): string {
  return detectLanguage(s).lang;
}

/** What a translation run does with one text: nothing to do, a local conversion, or a call. */
export type TextPlan = { action: 'skip' | 'convert' | 'call'; lang: Detected };

/**
 * Skip only what is surely in the target language; Traditional/Simplified Chinese is converted locally for a
 * Chinese target of the other form; everything else, unknown scripts included, is sent to the model.
 */
export function planText(norm: string, target: string): TextPlan {
  const lang = detectLanguage(norm);
  const t = target.toLowerCase();
  if (isChineseTarget(t)) {
    if (lang.lang !== 'zh' && lang.lang !== 'zh-Hant') return { action: 'call', lang };
    if (isTraditionalTarget(t)) return { action: chineseVariant(norm) === 'hans' ? 'convert' : 'skip', lang };
    return { action: lang.lang === 'zh-Hant' ? 'convert' : 'skip', lang };
  }
  return { action: lang.confident && lang.lang === t.split('-')[0] ? 'skip' : 'call', lang };
}
