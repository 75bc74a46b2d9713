/**
 * A deterministic mixed-language review set built from phrase banks: German, Spanish, French, Japanese (short
 * kanji-heavy texts like `配送が早かった、説明` included), Korean, Portuguese, Indonesian, Simplified Chinese (with
 * brand names, digits, emoji and `100%`) and Traditional Chinese. Each review says which language it was made in.
 */
export const PHRASES: Record<string, string[]> = {
  de: [
    'Das Produkt ist sehr gut',
    'Die Lieferung war schnell und die Verpackung ist gut',
    'Ich bin nicht zufrieden, aber der Preis ist gut',
    'Die Qualität ist sehr schlecht',
    'Ich würde es wieder kaufen, das ist super',
    'Der Akku hält nicht lange',
  ],
  es: [
    'El producto es muy bueno',
    'La entrega fue rápida pero la caja llegó rota',
    'No funciona bien, muy mala calidad',
    'Lo recomiendo, es una compra excelente',
    'El precio es bueno para la calidad',
    'Me encanta el color de la funda',
  ],
  fr: [
    'Le produit est très bien',
    'La livraison est rapide et le prix est bon',
    "Je ne suis pas satisfait, c'est une mauvaise qualité",
    'Très bon rapport qualité prix',
    'Les piles ne durent pas longtemps',
    'Je le recommande pour les enfants',
  ],
  ja: [
    '配送が早かった、説明',
    '説明書が分かりにくい 100%、配送が早',
    'コスパ最高、思',
    'とても良い商品です。また買いたいと思います',
    '品質は普通ですが、値段が安いので満足しています',
    '電池の持ちが悪い',
    '梱包が丁寧でした',
    '色が写真と違う',
  ],
  ko: [
    '정말 좋은 제품입니다',
    '배송이 빨라요',
    '품질이 별로예요, 다시는 안 살 거예요',
    '가격 대비 괜찮아요',
    '포장이 꼼꼼했어요',
    '색상이 사진과 달라요',
  ],
  pt: [
    'O produto é muito bom',
    'Chegou rápido e bem embalado',
    'Não gostei, a qualidade é ruim',
    'Recomendo, ótimo custo benefício',
    'A bateria não dura muito',
    'Comprei para minha mãe e ela adorou',
  ],
  id: [
    'barang sangat bagus dan sesuai pesanan',
    'pengiriman cepat, terima kasih seller',
    'kualitas jelek, tidak sesuai deskripsi',
    'mantap banget, recommended',
    'packing rapi dan aman',
    'harga murah tapi kualitas bagus',
  ],
  zh: [
    '这个产品很好，我很喜欢',
    '这款Anker充电宝很好用，100%推荐👍',
    '物流很快，包装完好',
    '质量一般，价格有点贵',
    '用了3天就坏了，很失望',
    '颜色和图片一样，5星好评',
  ],
  'zh-Hant': [
    '這個產品很好用，軟體也不錯',
    '質量很好，物流很快，會再買',
    '說明書寫得很清楚',
    '電池續航時間太短了',
    '顏色跟圖片一樣，非常滿意',
    '包裝很仔細，運送過程沒有損壞',
  ],
};

export const LANGS = Object.keys(PHRASES);

export interface MultilingualReview {
  lang: string;
  body: string;
  rating: number;
}

/** `n` reviews, languages in turn, 1 to 4 phrases each, with a serial so every text is its own. */
export function multilingualReviews(n: number, seed = 1): MultilingualReview[] {
  let x = seed;
  const rnd = (k: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x >> 8) % k;
  };
  const out: MultilingualReview[] = [];
  for (let i = 0; i < n; i++) {
    const lang = LANGS[i % LANGS.length];
    const bank = PHRASES[lang];
    const parts = Array.from({ length: 1 + rnd(4) }, () => bank[rnd(bank.length)]);
    const sep = lang === 'zh' || lang === 'zh-Hant' || lang === 'ja' ? '。' : '. ';
    // a serial keeps every text unique; CJK texts get it as digits, which are no letters
    out.push({ lang, body: `${parts.join(sep)}${sep}#${i}`, rating: 1 + rnd(5) });
  }
  return out;
}
