import { writeFileSync } from 'node:fs';

/**
 * Generated reviews of the three classes (seed packing: short <= 50 code points, standard, vip > 200 or an
 * extreme rating over 100), every body unique so each review needs its own translation.
 */
export interface GenReview {
  id: string;
  product: string;
  rating: number;
  body: string;
}

const SHORT = ['Great value', 'Too small', 'Works fine', 'Broke fast', 'Love the colour', 'Not as pictured'];
const PARTS = [
  'the strap feels solid and the buckle has not loosened after daily use',
  'delivery took longer than promised but the box arrived intact',
  'battery life is about half of what the listing claims, which is disappointing',
  'the fabric is thinner than I expected, yet it washes well and keeps its shape',
  'customer support answered within a day and sent a replacement part',
  'setup was simple, the manual is clear and every screw was in the bag',
];

export function generateReviews(n: number, tag = 'f'): GenReview[] {
  const out: GenReview[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 20; // 9 short, 7 standard, 4 vip in every 20
    const product = `P${i % 10}`;
    let body: string;
    let rating = 2 + (i % 3); // 2..4: not extreme
    if (kind < 9) body = `${SHORT[i % SHORT.length]} #${i}`;
    else if (kind < 16) body = `Review ${i}: ${PARTS[i % PARTS.length]}.`;
    else {
      rating = i % 2 ? 1 : 5;
      body = `Long review ${i}: ${PARTS[i % PARTS.length]}; ${PARTS[(i + 1) % PARTS.length]}; ${PARTS[(i + 2) % PARTS.length]}.`;
    }
    out.push({ id: `${tag}${i}`, product, rating, body });
  }
  return out;
}

export function writeReviewsCsv(file: string, rows: GenReview[]): void {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(
    file,
    ['review_id,product_id,rating,body', ...rows.map((r) => `${q(r.id)},${q(r.product)},${r.rating},${q(r.body)}`)].join('\n') + '\n',
  );
}
