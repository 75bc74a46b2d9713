/**
 * Token estimates without a tokenizer, good enough for packing and `voc estimate`: BPE tokenizers of the Qwen and
 * GPT families spend about one token per 4 characters of Latin-script text and about one per CJK character
 * (Han, kana, hangul). Everything else (emoji, Cyrillic, Thai...) counts as 1 token per 2 characters, a
 * conservative middle.
 */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const LATINISH = /[\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u;

export function estimateTokens(text: string): number {
  let cjk = 0;
  let latin = 0;
  let other = 0;
  // ASCII is all Latin or Common script: counted without a regex (most review text is ASCII; ingest estimates
  // every row, so the two property tests per character were a tenth of its CPU)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      latin++;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    i += ch.length - 1;
    if (CJK.test(ch)) cjk++;
    else if (LATINISH.test(ch) && ch.length === 1) latin++;
    else other++;
  }
  return cjk + Math.ceil(latin / 4) + Math.ceil(other / 2);
}

/** A key, its quotes, colon and comma in the JSON object: `"r12": "...",` */
export const ITEM_OVERHEAD_TOKENS = 6;
/** Role markers and the JSON braces of one chat request. */
export const CALL_OVERHEAD_TOKENS = 10;

/**
 * Output tokens of a translation into Chinese: the translation carries about as many tokens as the source
 * (English -> Chinese shrinks characters but not tokens much), plus the same keyed-JSON overhead.
 */
export function estimateOutputTokens(inputTextTokens: number, items: number): number {
  return Math.ceil(inputTextTokens * 1.1) + (items > 1 ? items * ITEM_OVERHEAD_TOKENS : 0);
}
