import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readReviews, type ReadItem, type ReadOptions } from '../../src/ingest/index.js';
import type { NewReview, ProductMeta } from '../../src/store/reviews.js';
import { VocError } from '../../src/errors.js';
import { sha256 } from '../../src/text.js';
import { readCsv } from '../../src/ingest/csv.js';
import { StreamBroken, type RawItem } from '../../src/ingest/types.js';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'ingest');
const DATA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
const config = loadConfig({ env: { VOC_HOME: tmpdir() } });
const tmp = mkdtempSync(path.join(tmpdir(), 'voc-ingest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Reject = Extract<ReadItem, { kind: 'reject' }>;
async function read(source: string, opts: Partial<ReadOptions> = {}) {
  const reviews: NewReview[] = [];
  const rejects: Reject[] = [];
  const products: ProductMeta[] = [];
  for await (const item of readReviews(source, { config, ...opts })) {
    if (item.kind === 'review') reviews.push(item.review);
    else if (item.kind === 'reject') rejects.push(item);
    else if (item.kind === 'product') products.push(item.product);
  }
  return { reviews, rejects, products };
}
const fx = (name: string) => path.join(FIX, name);
function tmpFile(name: string, content: string | Buffer): string {
  const f = path.join(tmp, name);
  writeFileSync(f, content);
  return f;
}
async function unreadable(source: string, opts: Partial<ReadOptions> = {}): Promise<VocError> {
  try {
    await read(source, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(VocError);
    return err as VocError;
  }
  throw new Error('expected the file to be refused');
}

const CHINESE_CSV = 'review_id,product_id,rating,body\nz1,P1,5,质量很好，物流很快\nz2,P1,2,"包装破损, 不满意"\n';

describe('CSV reader', () => {
  it('reads UTF-8 with BOM and CRLF, quoted fields with newlines and doubled quotes, with physical line numbers', async () => {
    const { reviews, rejects } = await read(fx('bom-crlf.csv'));
    expect(rejects).toEqual([]);
    expect(reviews.map((r) => [r.reviewId, r.line])).toEqual([
      ['r1', 2],
      ['r2', 3],
      ['r3', 6],
    ]);
    expect(reviews[0].body).toBe('Works well, "really" well');
    expect(reviews[1].body).toBe('line one\nline two\nline three');
    expect(reviews[1].rating).toBe(4);
    expect(reviews[2].title).toBeNull();
  });

  it('detects a ; delimiter from the header and maps asin / stars / review_title / content', async () => {
    const { reviews } = await read(fx('semicolon.csv'));
    expect(reviews).toHaveLength(2);
    expect(reviews[0]).toMatchObject({
      reviewId: 'x1',
      productId: 'B01',
      rating: 5,
      title: 'Nice',
      body: 'Sehr gut; und schnell',
      language: 'de',
    });
  });

  it('detects a tab delimiter', async () => {
    const { reviews } = await read(fx('tab.tsv'));
    expect(reviews.map((r) => r.body)).toEqual(['Broke after a day', 'Tab\tinside quotes']);
    expect(reviews[0]).toMatchObject({ reviewId: 't1', productId: 'B02', rating: 1, title: 'Bad' });
  });

  it('detects GBK and decodes it', async () => {
    const { reviews, rejects } = await read(tmpFile('gbk.csv', iconv.encode(CHINESE_CSV, 'gbk')));
    expect(rejects).toEqual([]);
    expect(reviews.map((r) => r.body)).toEqual(['质量很好，物流很快', '包装破损, 不满意']);
    expect(reviews[0].language).toBe('zh');
  });

  const EAST_ASIAN: Array<[string, string, string[]]> = [
    [
      'shift_jis',
      'Shift_JIS',
      ['とても良い商品です。配送も早かった。', '説明書が分かりにくいですが、使いやすいです。', '最悪でした。すぐに壊れました。'],
    ],
    ['euc-jp', 'EUC-JP', ['とても良い商品です。配送も早かった。', '説明書が分かりにくいですが、使いやすいです。']],
    ['big5', 'Big5', ['這個產品很好用，質量不錯，物流也很快。', '包裝破損，說明書寫得不清楚，不太滿意。', '價格便宜，會再買。']],
    // Chinese that writes の for 的 now and then is still Chinese
    [
      'gbk',
      'GBK/GB18030',
      ['这个产品の质量很好，物流很快', '包装破损，不满意，客服态度也不好', '价格便宜，质量一般，会再买', '颜色和图片一样，尺寸合适'],
    ],
    [
      'euc-kr',
      'EUC-KR',
      ['이 제품은 정말 좋아요. 배송도 빠르고 포장도 꼼꼼했습니다.', '가격 대비 품질이 훌륭합니다. 다시 구매할 생각입니다.'],
    ],
  ];
  it.each(EAST_ASIAN)('guesses %s from a few rows of text, says so, and decodes it', async (encoding, label, bodies) => {
    const csv = 'review_id,product_id,rating,body\n' + bodies.map((b, i) => `e${i},P1,5,${b}\n`).join('');
    const notices: string[] = [];
    const reviews: NewReview[] = [];
    for await (const item of readReviews(tmpFile(`${encoding}.csv`, iconv.encode(csv, encoding)), { config })) {
      if (item.kind === 'review') reviews.push(item.review);
      if (item.kind === 'notice') notices.push(item.text);
    }
    expect(reviews.map((r) => r.body)).toEqual(bodies);
    expect(notices).toEqual([`read as ${label} (guessed from its text; --encoding NAME to choose)`]);
  });

  it('refuses a legacy-encoded file it cannot tell (a few words decode cleanly in several), and --encoding reads it', async () => {
    // Shift_JIS bytes of 最悪 read as GBK 嵟埆, Big5 "很好" as GBK 竭疑...: stored for good, so not guessed
    for (const [body, encoding] of [
      ['最悪', 'shift_jis'],
      ['這個產品很好用', 'big5'],
      ['품질이 좋아요', 'euc-kr'],
      ['很好', 'gbk'],
      // chardet ranks GB18030 first for these (100 vs EUC-KR 94; 98 vs EUC-JP 100): both readings look like text
      [
        '배송 만족 품질 품질 만족\ns2,P1,5,실망 가격 만족 、\ns3,P1,5,좋아요 배송 추천 、품질 추천 품질 만족 、배송\ns4,P1,5,배송 배송 좋아요 배송 、',
        'euc-kr',
      ],
      ['品質良好、価格満足。\ns2,P1,2,配送迅速、対応丁寧です。\ns3,P1,1,初期不良品、交換希望。', 'euc-jp'],
    ]) {
      const file = tmpFile(`short-${encoding}.csv`, iconv.encode(`review_id,product_id,rating,body\ns1,P1,5,${body}\n`, encoding));
      const err = await unreadable(file);
      expect(err.message, encoding).toMatch(/not UTF-8 text, and its encoding cannot be told for sure/);
      expect(err.hint).toMatch(/--encoding/);
      expect((await read(file, { encoding })).reviews.map((r) => r.body)).toEqual(body.split(/\n\w+,P1,\d,/));
    }
  });

  it('says once per file how many bytes were not valid in its encoding; a U+FFFD the file holds is text', async () => {
    const head = 'review_id,product_id,rating,body\n';
    const rows = Array.from({ length: 9000 }, (_, i) => `u${i},P1,5,Good value for the money number ${i}\n`).join(''); // > 256 KB
    // past the sniffed head (and the first read chunk): a Latin-1 byte in a UTF-8 file, and a U+FFFD the file holds
    const file = tmpFile(
      'late-latin1.csv',
      Buffer.concat([
        Buffer.from(head + rows),
        Buffer.from('x1,P1,5,Tr'),
        Buffer.from([0xe8]),
        Buffer.from('s bon\nx2,P1,5,berhari\ufffd ok\n'),
      ]),
    );
    const notices: string[] = [];
    const bodies: string[] = [];
    for await (const item of readReviews(file, { config })) {
      if (item.kind === 'notice') notices.push(item.text);
      if (item.kind === 'review' && item.review.reviewId!.startsWith('x')) bodies.push(item.review.body);
    }
    expect(bodies).toEqual(['Tr\ufffds bon', 'berhari\ufffd ok']);
    expect(notices).toEqual([
      '1 byte sequence was not valid UTF-8 and read as \ufffd (rows of another encoding?); --encoding NAME reads the file in another one',
    ]);
    // a file whose only U+FFFD are its own says nothing
    const own = tmpFile('own-fffd.csv', head + 'y1,P1,5,berhari\ufffd gada solusi\n');
    for await (const item of readReviews(own, { config })) expect(item.kind).not.toBe('notice');
  });

  it('decodes UTF-16 LE and BE with a BOM', async () => {
    const le = await read(tmpFile('le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(CHINESE_CSV, 'utf16le')])));
    const be = await read(tmpFile('be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(CHINESE_CSV, 'utf16be')])));
    expect(le.reviews.map((r) => r.body)).toEqual(['质量很好，物流很快', '包装破损, 不满意']);
    expect(be.reviews.map((r) => r.body)).toEqual(le.reviews.map((r) => r.body));
  });

  it('gunzips input recognised by its magic bytes', async () => {
    const csv = await read(tmpFile('reviews.csv.gz', gzipSync(Buffer.from(CHINESE_CSV))));
    expect(csv.reviews).toHaveLength(2);
    const nd = await read(tmpFile('upload.bin', gzipSync(Buffer.from('{"id":"g1","asin":"P","rating":5,"body":"zipped"}\n'))));
    expect(nd.reviews.map((r) => r.body)).toEqual(['zipped']);
  });

  it('turns the Fine Foods Unix Time into an ISO date and maps the Kaggle columns', async () => {
    const { reviews } = await read(fx('finefoods-time.csv'));
    expect(reviews[0]).toMatchObject({
      reviewId: '1',
      productId: 'B001E4KFG0',
      rating: 5,
      reviewDate: '2011-04-27',
      author: 'delmartian',
      title: 'Good Quality Dog Food',
    });
    expect(reviews[1].body).toBe('Product arrived labeled as "Jumbo" Salted Peanuts.');
  });

  it('names a --map column the header does not have, instead of saying the field has no column', async () => {
    const err = await unreadable(fx('mapped.csv'), { mapping: { body: 'Nope Col' }, product: 'SEPATU' });
    expect(err.message).toMatch(/mapped\.csv: --map body=Nope Col: no column "Nope Col" \(columns: .*"Customer Review"/);
  });

  it('takes --map and --product for an export with its own column names', async () => {
    const { reviews } = await read(fx('mapped.csv'), {
      mapping: { body: 'Customer Review', rating: 'customer rating' },
      product: 'SEPATU',
    });
    expect(reviews.map((r) => [r.productId, r.rating, r.body])).toEqual([
      ['SEPATU', 5, 'Barang bagus sesuai pesanan'],
      ['SEPATU', 4, 'Pengiriman cepat'],
    ]);
  });

  it('keys rows without an id on product + body hash', async () => {
    const { reviews } = await read(fx('no-id.csv'));
    expect(reviews[0].sourceKey).toBe(`p:P7|${sha256('no id here')}`);
    expect(reviews[1].sourceKey).toBe(reviews[0].sourceKey);
  });

  it('rejects a 5 MB field and keeps the rows around it', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const f = tmpFile('big.csv', `review_id,product_id,rating,body\nb1,P,5,before\nb2,P,5,"${big}"\nb3,P,5,after\n`);
    const { reviews, rejects } = await read(f);
    expect(reviews.map((r) => r.body)).toEqual(['before', 'after']);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ line: 3, field: 'body' });
    expect(rejects[0].reason).toMatch(/longer than 100000 characters/);
  });

  it('stops at an unclosed quote with one reject and keeps the rows before it', async () => {
    const { reviews, rejects } = await read(
      tmpFile('unclosed.csv', 'review_id,product_id,rating,body\nu1,P,5,fine\nu2,P,5,"never closed\n'),
    );
    expect(reviews.map((r) => r.reviewId)).toEqual(['u1']);
    expect(rejects).toHaveLength(1);
    expect(rejects[0].field).toBe('(file)');
  });
});

describe('CSV reader, chunk by chunk', () => {
  const TEXT =
    'id,body,n\n' + 'a,plain,1\n' + 'b,"two\nlines, and a comma",2\n' + '\n' + 'c,"a ""quoted"" word",3\n' + 'd,"x"y",4\n' + 'e,last,5\n';
  async function csvItems(chunks: string[], maxFieldLength = 100_000) {
    const items: RawItem[] = [];
    let broken: StreamBroken | null = null;
    try {
      for await (const it of readCsv(
        (async function* () {
          yield* chunks;
        })(),
        { name: 't.csv', head: chunks.join('').slice(0, 200), maxFieldLength, checkHeader: () => {} },
      ))
        items.push(it);
    } catch (err) {
      if (!(err instanceof StreamBroken)) throw err;
      broken = err;
    }
    return { items, broken };
  }

  it('reads the same records, lines and rejects wherever the text is cut', async () => {
    const whole = await csvItems([TEXT]);
    expect(whole.broken).toBeNull();
    expect(whole.items).toEqual([
      { kind: 'record', record: { id: 'a', body: 'plain', n: '1' }, line: 2 },
      { kind: 'record', record: { id: 'b', body: 'two\nlines, and a comma', n: '2' }, line: 3 },
      { kind: 'record', record: { id: 'c', body: 'a "quoted" word', n: '3' }, line: 6 },
      // a stray quote in a quoted field: that record is reported, not merged silently into its neighbours
      { kind: 'reject', line: 7, field: '(row)', reason: 'a quote inside a quoted field is not doubled (line 7)', row: ['d', 'x"y', '4'] },
      { kind: 'record', record: { id: 'e', body: 'last', n: '5' }, line: 8 },
    ]);
    for (let cut = 1; cut < TEXT.length; cut++) {
      expect((await csvItems([TEXT.slice(0, cut), TEXT.slice(cut)])).items, `cut at ${cut}`).toEqual(whole.items);
    }
    expect((await csvItems([...TEXT])).items).toEqual(whole.items);
  });

  it('stops at a quote that never closes, keeping the rows before it, in a stream longer than any record', async () => {
    const good = 'id,body,n\na,fine,1\n';
    const open = 'b,"never closed\n' + 'x,y,z\n'.repeat(200_000); // 1.2 M characters after the quote
    const chunks = [good, ...(open.match(/[\s\S]{1,65536}/g) as string[])];
    const r = await csvItems(chunks, 1000); // a record may hold 16 M characters at most
    expect(r.items).toEqual([{ kind: 'record', record: { id: 'a', body: 'fine', n: '1' }, line: 2 }]);
    expect(r.broken?.message).toBe('CSV breaks at line 3: a quoted field is never closed');
  });

  it('stops once an open quote has run longer than any record may be', async () => {
    const open = 'id,body,n\na,fine,1\nb,"never closed\n' + 'x'.repeat(17 * 1024 * 1024);
    const r = await csvItems(open.match(/[\s\S]{1,262144}/g) as string[], 1000);
    expect(r.items).toHaveLength(1);
    expect(r.broken?.message).toMatch(/^CSV breaks at line 3: a record longer than 16777216 characters/);
  });
});

describe('JSON and NDJSON readers', () => {
  it('streams a JSON array with the line each review starts on', async () => {
    const { reviews, rejects } = await read(fx('reviews-array.json'));
    expect(reviews.map((r) => [r.reviewId, r.line])).toEqual([
      ['j1', 2],
      ['j2', 3],
    ]);
    expect(reviews[0].body).toBe('Best purchase [of] the {year}');
    expect(reviews[1].body).toBe('Stopped working "after" a week');
    expect(rejects).toEqual([
      {
        kind: 'reject',
        file: fx('reviews-array.json'),
        line: 5,
        field: 'rating',
        reason: 'not a whole number 1-5: 4.5',
        row: { review_id: 'j3', product_id: 'P9', rating: 4.5, body: 'half stars are not ratings' },
      },
    ]);
  });

  it('reads {product, reviews}: product metadata, and its id fills the reviews', async () => {
    const { reviews, products } = await read(fx('reviews-object.json'));
    expect(products).toEqual([{ id: 'B0META', title: 'Thermal Mug', bulletPoints: ['Keeps coffee hot for 6 hours', 'Dishwasher safe'] }]);
    expect(reviews.map((r) => [r.reviewId, r.productId, r.rating])).toEqual([
      ['m1', 'B0META', 5],
      ['m2', 'B0META', 1],
    ]);
  });

  it('keeps every complete review of a JSON file cut off half way and names the file and position', async () => {
    const { reviews, rejects } = await read(fx('cut-off.json'));
    expect(reviews.map((r) => r.reviewId)).toEqual(['c1', 'c2']);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ file: fx('cut-off.json'), field: '(file)', line: 4 });
    expect(rejects[0].reason).toMatch(/cut off/);
  });

  it('rejects broken NDJSON lines in the middle and keeps going', async () => {
    const { reviews, rejects } = await read(fx('broken-middle.ndjson'));
    expect(reviews.map((r) => [r.reviewId, r.line])).toEqual([
      ['n1', 1],
      ['n2', 2],
      ['n4', 6],
      ['n5', 7],
    ]);
    expect(rejects.map((r) => [r.line, r.field])).toEqual([
      [3, '(line)'],
      [4, '(line)'],
    ]);
  });

  it('rejects a 5 MB field in JSON and NDJSON', async () => {
    const big = 'y'.repeat(5 * 1024 * 1024);
    const rows = [
      { id: 'a', asin: 'P', rating: 5, body: 'ok' },
      { id: 'b', asin: 'P', rating: 5, body: big },
      { id: 'c', asin: 'P', rating: 5, body: 'ok too' },
    ];
    const nd = await read(tmpFile('big.ndjson', rows.map((r) => JSON.stringify(r)).join('\n')));
    const js = await read(tmpFile('big.json', JSON.stringify(rows, null, 1)));
    for (const r of [nd, js]) {
      expect(r.reviews.map((x) => x.reviewId)).toEqual(['a', 'c']);
      expect(r.rejects.map((x) => x.field)).toEqual(['body']);
    }
  });

  it('reads standard input, guessing NDJSON or CSV from the content', async () => {
    const nd = await read('-', { stdin: Readable.from([Buffer.from('{"id":"s1","asin":"P","rating":3,"body":"from a pipe"}\n')]) });
    expect(nd.reviews[0]).toMatchObject({ reviewId: 's1', body: 'from a pipe' });
    const csv = await read('-', { stdin: Readable.from([Buffer.from(CHINESE_CSV)]) });
    expect(csv.reviews).toHaveLength(2);
    const forced = await read('-', {
      format: 'json',
      stdin: Readable.from([Buffer.from('[{"id":"s2","asin":"P","rating":3,"body":"forced"}]')]),
    });
    expect(forced.reviews[0].reviewId).toBe('s2');
  });
});

describe('files that cannot be read', () => {
  it('refuses an empty file, binary data, a missing body column, UTF-16 without BOM and unknown bytes', async () => {
    expect((await unreadable(tmpFile('empty.csv', ''))).message).toMatch(/empty/);
    expect((await unreadable(tmpFile('blank.csv', '\n\n  \n'))).message).toMatch(/empty/);
    expect(
      (
        await unreadable(
          tmpFile(
            'bin.csv',
            Buffer.from([
              0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 0, 0xb4, 8, 6, 0, 0,
              0,
            ]),
          ),
        )
      ).message,
    ).toMatch(/binary/);
    expect((await unreadable(fx('no-body.csv'))).message).toMatch(/no body column/);
    expect((await unreadable(tmpFile('nobom.csv', iconv.encode(CHINESE_CSV, 'utf16le')))).message).toMatch(
      /UTF-16 without a byte-order mark/,
    );
    expect(
      (
        await unreadable(
          tmpFile('latin.csv', Buffer.from('review_id,product_id,rating,body\n1,P,5,caf\xe9 cr\xe8me \xff\xfe\xfd\n', 'latin1')),
        )
      ).message,
    ).toMatch(/not UTF-8/);
    expect((await unreadable(tmpFile('garbage.json', '[{"id":'))).message).toMatch(/cut off/);
    expect((await unreadable(path.join(tmp, 'missing.csv'))).message).toMatch(/cannot open/);
  });

  it('reads a Latin-1 file when --encoding says so', async () => {
    const f = tmpFile('latin-ok.csv', Buffer.from('review_id,product_id,rating,body\n1,P,5,caf\xe9 cr\xe8me\n', 'latin1'));
    const { reviews } = await read(f, { encoding: 'latin1' });
    expect(reviews[0].body).toBe('café crème');
  });
});

describe.skipIf(!existsSync(DATA))('the shared review data', () => {
  it('reads finefoods-dev.csv: 9,831 rows, 0 rejects', async () => {
    const { reviews, rejects } = await read(path.join(DATA, 'finefoods-dev.csv'));
    expect(rejects).toEqual([]);
    expect(reviews).toHaveLength(9831);
    expect(new Set(reviews.map((r) => r.sourceKey)).size).toBe(9831);
  });

  it('reads prdect-id-dev.csv: 3,240 rows', async () => {
    const { reviews, rejects } = await read(path.join(DATA, 'prdect-id-dev.csv'));
    expect(rejects).toEqual([]);
    expect(reviews).toHaveLength(3240);
    expect(reviews.filter((r) => r.language === 'id').length).toBeGreaterThan(1500);
  });
});
if (!existsSync(DATA)) console.warn(`[voc tests] ${DATA} is absent: the shared-data reader tests are skipped`);
