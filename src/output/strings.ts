/**
 * Strings into an output buffer, escaped for JSON, CSV or the text format. Text columns hold UTF-8
 * bytes; the decoded objects read them with Buffer.toString('utf8') (an invalid sequence becomes
 * U+FFFD), and the output must read back as that same string. The fast path copies ASCII bytes
 * that need no escaping straight from the column; the first byte >= 0x80 sends the row through
 * the decoded string instead, so invalid UTF-8 comes out exactly as the objects have it.
 * The caller has made room: at most 6 bytes per input byte plus the quotes (see EventWriter).
 */

/** Bytes an escaped string may take per byte of its UTF-8 input, at most (`\u001f` in JSON). */
export const ESCAPE_EXPANSION = 6;

/** 1 for the bytes a JSON string holds as they are: printable ASCII but `"` and `\`. */
const JSON_PLAIN = byteTable((b) => b >= 0x20 && b < 0x80 && b !== 0x22 && b !== 0x5c);
/** 1 for the bytes the text format shows as they are: printable ASCII (no DEL) but `"` and `\`. */
const TEXT_PLAIN = byteTable((b) => b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c);

function byteTable(plain: (byte: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) table[b] = plain(b) ? 1 : 0;
  return table;
}

const HEX = '0123456789abcdef';

/** The short escapes JSON and the text format share, by byte; others are \u00XX or \xXX. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 0x22: 0x22, 0x5c: 0x5c, 0x0a: 0x6e, 0x0d: 0x72, 0x09: 0x74 };

/**
 * Writes ASCII byte `b` (not plain) escaped: \" \\ \n \r \t, else `\u00XX` in JSON (`json`) and
 * `\xXX` in the text format.
 */
function writeEscape(o: Buffer, p: number, b: number, json: boolean): number {
  o[p++] = 0x5c;
  const short = SHORT_ESCAPES[b];
  if (short !== undefined) {
    o[p++] = short;
    return p;
  }
  if (json) {
    o[p++] = 0x75; // u00XX
    o[p++] = 0x30;
    o[p++] = 0x30;
  } else {
    o[p++] = 0x78; // xXX
  }
  o[p++] = HEX.charCodeAt(b >> 4);
  o[p++] = HEX.charCodeAt(b & 15);
  return p;
}

/** Writes `s` as a JSON string, quotes included. */
export function writeJsonText(o: Buffer, p: number, s: string): number {
  return p + o.write(JSON.stringify(s), p);
}

/** Writes the UTF-8 bytes [from, to) of `data` as a JSON string, quotes included. */
export function writeJsonBytes(o: Buffer, p: number, data: Buffer, from: number, to: number): number {
  const start = p;
  o[p++] = 0x22;
  for (let i = from; i < to; i++) {
    const b = data[i]!;
    if (JSON_PLAIN[b] === 1) o[p++] = b;
    else if (b < 0x80) p = writeEscape(o, p, b, true);
    else return writeJsonText(o, start, data.toString('utf8', from, to));
  }
  o[p++] = 0x22;
  return p;
}

/** `s` with the text format's escapes (see writeEscape). */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this escapes
  return s.replace(/["\\\x00-\x1f\x7f]/g, (c) => {
    const b = c.charCodeAt(0);
    const short = SHORT_ESCAPES[b];
    return short !== undefined ? `\\${String.fromCharCode(short)}` : `\\x${HEX[b >> 4]!}${HEX[b & 15]!}`;
  });
}

/** Writes the UTF-8 bytes [from, to) of `data` as a quoted text-format string. */
export function writeTextBytes(o: Buffer, p: number, data: Buffer, from: number, to: number): number {
  const start = p;
  o[p++] = 0x22;
  for (let i = from; i < to; i++) {
    const b = data[i]!;
    if (TEXT_PLAIN[b] === 1) o[p++] = b;
    else if (b < 0x80) p = writeEscape(o, p, b, false);
    else return start + o.write(`"${escapeText(data.toString('utf8', from, to))}"`, start);
  }
  o[p++] = 0x22;
  return p;
}

/** Byte classes of a CSV cell: a byte that makes the cell need quotes, a quote, a non-ASCII byte. */
const CSV_QUOTE_CELL = 1;
const CSV_QUOTE_CHAR = 2;
const CSV_HIGH = 4;
const CSV_CLASS = (() => {
  const table = new Uint8Array(256);
  for (const b of [0x2c, 0x0a, 0x0d]) table[b] = CSV_QUOTE_CELL;
  table[0x22] = CSV_QUOTE_CELL | CSV_QUOTE_CHAR;
  for (let b = 0x80; b < 256; b++) table[b] = CSV_HIGH;
  return table;
})();

/** `s` as an RFC 4180 cell: quoted, with quotes doubled, when it holds a comma, quote, CR or LF. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes the UTF-8 bytes [from, to) of `data` as an RFC 4180 cell (see csvCell). */
export function writeCsvBytes(o: Buffer, p: number, data: Buffer, from: number, to: number): number {
  let classes = 0;
  for (let i = from; i < to; i++) classes |= CSV_CLASS[data[i]!]!;
  if (classes === 0) {
    for (let i = from; i < to; i++) o[p++] = data[i]!;
    return p;
  }
  if ((classes & CSV_HIGH) !== 0) return p + o.write(csvCell(data.toString('utf8', from, to)), p);
  o[p++] = 0x22;
  for (let i = from; i < to; i++) {
    const b = data[i]!;
    if (b === 0x22) o[p++] = 0x22;
    o[p++] = b;
  }
  o[p++] = 0x22;
  return p;
}
