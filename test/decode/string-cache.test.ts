import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_STRING_CACHE_SIZE, StringCache, spanHash } from '../../src/decode/string-cache.js';

/** What a span must decode to, by Buffer's own UTF-8 decoder: text up to the first NUL. */
function reference(span: Buffer): string {
  const nul = span.indexOf(0);
  return span.toString('utf8', 0, nul < 0 ? span.length : nul);
}

/** `span` placed at an odd offset of a larger buffer (garbage around it), with a view on it. */
function placed(span: Uint8Array, at = 3): { bytes: Buffer; view: DataView; from: number; to: number } {
  const bytes = Buffer.alloc(at + span.length + 5, 0xa5);
  bytes.set(span, at);
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length), from: at, to: at + span.length };
}

function lookUp(cache: StringCache, span: Uint8Array, at?: number): string {
  const { bytes, view, from, to } = placed(span, at);
  return cache.text(bytes, view, from, to);
}

const SPANS: [string, Buffer][] = [
  ['ASCII with its NUL', Buffer.from('item-123\0')],
  ['ASCII without a NUL', Buffer.from('/usr/bin/env')],
  ['bytes after the NUL', Buffer.from('bash\0garbage')],
  ['UTF-8', Buffer.from('/tmp/ünïcode päth\0')],
  ['four-byte UTF-8', Buffer.from('emoji 🐧\0')],
  ['invalid UTF-8', Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82, 0x00])],
  ['a truncated sequence at the end', Buffer.from([0x61, 0x62, 0xe2, 0x82])],
  ['Latin-1 bytes that are not UTF-8', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
  ['only a NUL', Buffer.from([0])],
  ['one byte', Buffer.from('x')],
  ['two bytes', Buffer.from('xy')],
  ['three bytes', Buffer.from('xy\0')],
  ['five bytes', Buffer.from('abcd\0')],
];

test('every span decodes as UTF-8 up to the first NUL, on a miss and on a hit', () => {
  for (const [name, span] of SPANS) {
    const cache = new StringCache();
    const expected = reference(span);
    assert.equal(lookUp(cache, span), expected, `${name}: first lookup`);
    assert.equal(lookUp(cache, span, 11), expected, `${name}: second lookup, elsewhere in a buffer`);
    assert.equal(lookUp(cache, span, 0), expected, `${name}: third lookup`);
    assert.equal(cache.misses, 1, `${name}: decoded once, then found`);
  }
});

test('an empty span is the empty string and is never looked up', () => {
  const cache = new StringCache();
  assert.equal(lookUp(cache, new Uint8Array(0)), '');
  assert.equal(cache.misses, 0);
});

test('spans up to maxBytes are kept; longer ones are decoded every time', () => {
  const { maxBytes } = DEFAULT_STRING_CACHE_SIZE;
  const cache = new StringCache();
  const longest = Buffer.from(`${'a'.repeat(maxBytes - 2)}é`); // ends inside the span's last word
  const tooLong = Buffer.from('b'.repeat(maxBytes + 1));
  assert.equal(longest.length, maxBytes);
  for (let i = 0; i < 3; i++) {
    assert.equal(lookUp(cache, longest), reference(longest));
    assert.equal(lookUp(cache, tooLong), reference(tooLong));
  }
  assert.equal(cache.misses, 1 + 3, 'the longest span once, the one over the limit each time');
});

test('spans that hash alike are told apart by their bytes', () => {
  // 40 bytes: the hash reads the first, middle (20) and last words only; these differ at byte 9.
  const one = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCD');
  const other = Buffer.from(one);
  other[9] = 0x21;
  const probe = placed(one);
  const probeOther = placed(other);
  assert.equal(
    spanHash(probe.bytes, probe.view, probe.from, one.length),
    spanHash(probeOther.bytes, probeOther.view, probeOther.from, other.length),
    'the two spans collide by design',
  );
  // Tails of 1 to 3 bytes past the whole words, differing in their last byte only.
  const tails = [
    Buffer.from('abcdefg\0'),
    Buffer.from('abcdefgh\0'),
    Buffer.from('abcdefgh\x01'),
    Buffer.from('abcde'),
  ];
  const cache = new StringCache({ entries: 2, maxBytes: 40 }); // one set: every span competes for it
  for (let round = 0; round < 3; round++) {
    for (const span of [one, other, ...tails, Buffer.from('abcdf')]) assert.equal(lookUp(cache, span), reference(span));
  }
});

test('a set keeps the spans that repeat: two ways, a newcomer kept on its second miss in a row', () => {
  const cache = new StringCache({ entries: 2, maxBytes: 16 }); // a single set of two entries
  const a = Buffer.from('alpha\0');
  const b = Buffer.from('beta\0');
  const c = Buffer.from('gamma\0');
  const d = Buffer.from('delta\0');
  const misses = (span: Buffer): number => {
    const before = cache.misses;
    assert.equal(lookUp(cache, span), reference(span));
    return cache.misses - before;
  };
  assert.equal(misses(a), 1, 'a: decoded, kept (the set has room)');
  assert.equal(misses(b), 1, 'b: decoded, kept in the other entry');
  assert.equal(misses(a), 0, 'a: found');
  assert.equal(misses(b), 0, 'b: found, and now the entry used last');
  assert.equal(misses(c), 1, 'c: decoded, not kept (first miss)');
  assert.equal(misses(a), 0, 'a: still there');
  assert.equal(misses(b), 0, 'b: still there, used last');
  assert.equal(misses(d), 1, 'd: decoded, not kept, and it is now the candidate');
  assert.equal(misses(c), 1, 'c: decoded again, not kept (d missed in between)');
  assert.equal(misses(c), 1, 'c: second miss in a row: kept, in place of a (used less recently than b)');
  assert.equal(misses(c), 0, 'c: found');
  assert.equal(misses(b), 0, 'b: found');
  assert.equal(misses(a), 1, 'a: evicted');
});

test('strings that never repeat do not push out the ones that do', () => {
  const cache = new StringCache({ entries: 2, maxBytes: 32 });
  const hot = Buffer.from('hot\0');
  lookUp(cache, hot);
  for (let i = 0; i < 100; i++) {
    const once = Buffer.from(`once-${i}\0`);
    assert.equal(lookUp(cache, once), `once-${i}`);
    const before = cache.misses;
    assert.equal(lookUp(cache, hot), 'hot');
    assert.equal(cache.misses, before, `hot still found after ${i + 1} strings seen once`);
  }
});

test('sizes are checked', () => {
  assert.throws(() => new StringCache({ entries: 3, maxBytes: 16 }), RangeError);
  assert.throws(() => new StringCache({ entries: 1, maxBytes: 16 }), RangeError);
  assert.throws(() => new StringCache({ entries: 4, maxBytes: 18 }), RangeError);
  assert.throws(() => new StringCache({ entries: 4, maxBytes: 0 }), RangeError);
});

test('spans of one length that differ in any one byte are told apart, whichever word holds it', () => {
  // One set: every span competes for its two entries, and a span differing from one held is
  // checked against it. Lengths 1 to 13 cover packed short spans, whole words, and last words that
  // overlap the word before them by one to three bytes.
  for (let length = 1; length <= 13; length++) {
    const cache = new StringCache({ entries: 2, maxBytes: 16 });
    const base = Buffer.from('abcdefghijklm'.slice(0, length));
    for (let round = 0; round < 3; round++) {
      for (let at = 0; at < length; at++) {
        const changed = Buffer.from(base);
        changed[at] = 0x5a; // 'Z'
        assert.equal(lookUp(cache, base), reference(base), `length ${length}: the base span`);
        assert.equal(lookUp(cache, changed), reference(changed), `length ${length}: byte ${at} changed`);
        assert.equal(lookUp(cache, changed, 6), reference(changed), `length ${length}: byte ${at} changed, found`);
      }
    }
  }
});
