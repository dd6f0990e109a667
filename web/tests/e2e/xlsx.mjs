// Just enough of a reader of .xlsx files for the browser tests to check what a
// download holds: the zip's central directory (stored or deflated entries, via
// node's zlib), the first worksheet's cells as text (shared or inline strings,
// numbers as written). Throws when the file is not a workbook.
import zlib from 'node:zlib';

// { entry name: Buffer } of a zip file.
export function unzip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = {};
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad zip central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    if (method === 0) out[name] = data;
    else if (method === 8) out[name] = zlib.inflateRawSync(data);
    else throw new Error(`zip entry ${name}: compression method ${method}`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const unescapeXml = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
  .replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&');
// The text of every <t> in a piece of XML (a rich string has several).
const texts = (xml) => [...xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)].map((m) => unescapeXml(m[1])).join('');

// Column letters of a cell reference ("AB12") to a 0-based index.
function colIndex(ref) {
  let n = 0;
  for (const ch of /^[A-Z]+/.exec(ref)[0]) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

// The part name of the workbook's first sheet (workbook.xml → its relationship).
function firstSheet(files) {
  const wb = files['xl/workbook.xml']?.toString('utf8') ?? '';
  const rels = files['xl/_rels/workbook.xml.rels']?.toString('utf8') ?? '';
  const id = /<sheet\b[^>]*\br:id="([^"]+)"/.exec(wb)?.[1];
  const rel = id && [...rels.matchAll(/<Relationship\b[^>]*>/g)].map((m) => m[0]).find((r) => r.includes(`Id="${id}"`));
  const target = rel && /Target="([^"]+)"/.exec(rel)?.[1];
  if (!target) return 'xl/worksheets/sheet1.xml';
  return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
}

// The first worksheet as rows of cell texts (rows by their number, 1-based: rows[0] is row 1).
export function xlsxRows(buf) {
  const files = unzip(buf);
  const sheetName = firstSheet(files);
  if (!files['[Content_Types].xml'] || !files[sheetName]) throw new Error('zip without a workbook sheet');
  const shared = files['xl/sharedStrings.xml']
    ? [...files['xl/sharedStrings.xml'].toString('utf8').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => texts(m[1]))
    : [];
  const xml = files[sheetName].toString('utf8');
  const rows = [];
  for (const row of xml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const r = Number(/\br="(\d+)"/.exec(row[1])[1]);
    const cells = [];
    for (const c of (row[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const attrs = c[1];
      const inner = c[2] ?? '';
      const type = /\bt="(\w+)"/.exec(attrs)?.[1];
      const v = /<v>([\s\S]*?)<\/v>/.exec(inner)?.[1];
      let text = '';
      if (type === 's') text = shared[Number(v)] ?? '';
      else if (type === 'inlineStr') text = texts(inner);
      else if (v !== undefined) text = unescapeXml(v);
      cells[colIndex(/\br="([A-Z]+\d+)"/.exec(attrs)[1])] = text;
    }
    rows[r - 1] = Array.from(cells, (x) => x ?? '');
  }
  return Array.from(rows, (x) => x ?? []);
}
