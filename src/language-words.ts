/**
 * Latin-script languages told apart by common words: the marker lists and their scoring, for language.ts (scripts
 * decide first; a text that is mostly Latin letters comes here).
 */

/** Marker words per language, in the order that breaks a tie (English first). */
const LANG_WORDS: Array<[string, string[]]> = [
  [
    'en',
    [
      'the',
      'and',
      'is',
      'it',
      'this',
      'not',
      'very',
      'for',
      'with',
      'but',
      'was',
      'my',
      'to',
      'of',
      'great',
      'good',
      'love',
      'you',
      'have',
      'product',
      'works',
    ],
  ],
  [
    'de',
    ['und', 'nicht', 'ist', 'das', 'sehr', 'ich', 'die', 'der', 'mit', 'aber', 'gut', 'auch', 'ein', 'eine', 'für', 'zu', 'war', 'habe'],
  ],
  [
    'id',
    [
      'dan',
      'tidak',
      'yang',
      'barang',
      'sangat',
      'bagus',
      'sesuai',
      'ini',
      'sudah',
      'nya',
      'pesanan',
      'cepat',
      'kurang',
      'ada',
      'untuk',
      'tapi',
      'di',
      'yg',
      'banget',
      'bgt',
      'ga',
      'gak',
      'gk',
      'beli',
      'mantap',
      'kecewa',
      'pengiriman',
      'dikirim',
      'bisa',
      'saya',
      'baik',
      'dengan',
      'kualitas',
      'rapi',
      'produk',
      'terima',
      'kasih',
      'sekali',
      'jelek',
      'buruk',
      'udah',
      'aja',
      'juga',
      'sama',
      'rusak',
      'harga',
    ],
  ],
  [
    'es',
    [
      'el',
      'la',
      'que',
      'muy',
      'pero',
      'por',
      'los',
      'una',
      'bien',
      'con',
      'producto',
      'las',
      'lo',
      'del',
      'buena',
      'bueno',
      'calidad',
      'para',
      'mi',
      'compré',
      'también',
      'llegó',
      'funciona',
      'mala',
    ],
  ],
  [
    'fr',
    ['le', 'la', 'et', 'est', 'très', 'pas', 'les', 'une', 'je', 'bien', 'pour', 'avec', 'produit', 'mais', 'qui', 'bon', 'des', 'du'],
  ],
  [
    'pt',
    [
      'não',
      'muito',
      'com',
      'para',
      'produto',
      'bom',
      'uma',
      'mas',
      'que',
      'chegou',
      'ótimo',
      'é',
      'está',
      'foi',
      'qualidade',
      'recomendo',
      'em',
      'minha',
      'meu',
      'ela',
      'ele',
      'também',
      'comprei',
      'gostei',
      'bem',
      'ruim',
      'veio',
      'entrega',
    ],
  ],
  ['it', ['il', 'non', 'molto', 'che', 'della', 'è', 'prodotto', 'per', 'ottimo', 'sono', 'ma', 'buon', 'questo', 'con']],
];
/** word -> indexes into LANG_WORDS ("la" counts for Spanish and French) */
const WORD_LANGS = new Map<string, number[]>();
LANG_WORDS.forEach(([, words], i) => {
  for (const w of words) WORD_LANGS.set(w, [...(WORD_LANGS.get(w) ?? []), i]);
});
const MAX_WORD = Math.max(...[...WORD_LANGS.keys()].map((w) => w.length));
/** punctuation trimmed off a token's ends, by UTF-16 unit */
const EDGE_PUNCT = new Uint8Array(0x2027);
for (const ch of '.,!?;:()[]"\'¡¿«»…-') EDGE_PUNCT[ch.charCodeAt(0)] = 1;
const isEdge = (cu: number) => cu < 0x2027 && EDGE_PUNCT[cu] === 1;

/** Marker-word scores of a Latin-script text: each marker counts once, between white space, punctuation trimmed. */
function latinScores(text: string): number[] {
  const scores = new Array<number>(LANG_WORDS.length).fill(0);
  const s = text.toLowerCase(); // once, not per token; markers are lower case
  let counted: string[] | null = null;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && s.charCodeAt(i) > 0x20) continue;
    let a = start;
    let b = i;
    start = i + 1;
    if (b - a < 1) continue;
    while (a < b && isEdge(s.charCodeAt(a))) a++;
    while (b > a && isEdge(s.charCodeAt(b - 1))) b--;
    if (b - a < 1 || b - a > MAX_WORD) continue;
    const token = s.slice(a, b);
    const langs = WORD_LANGS.get(token);
    if (langs === undefined || counted?.includes(token)) continue;
    (counted ??= []).push(token);
    for (const l of langs) scores[l]++;
  }
  return scores;
}

/** The language whose marker words a Latin-script text holds most; sure with two or more and no tie. */
export function latinLanguage(s: string): { lang: string; confident: boolean } {
  const scores = latinScores(s);
  let best = 0;
  let second = -1;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  for (let i = 0; i < scores.length; i++) if (i !== best && (second < 0 || scores[i] > scores[second])) second = i;
  if (scores[best] === 0) return { lang: 'und', confident: false };
  return { lang: LANG_WORDS[best][0], confident: scores[best] >= 2 && scores[best] > scores[second] };
}
