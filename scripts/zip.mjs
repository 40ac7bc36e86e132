// A reproducible zip writer (PKWARE APPNOTE 6.3, no zip64): the same entries give the same
// bytes on every run and machine, because nothing in the archive comes from the environment —
// entries are sorted by name, every timestamp is the DOS epoch (1980-01-01 00:00), modes are
// fixed (0644 files, 0755 folders), deflate level is fixed, and no extra fields are written.
import * as zlib from 'node:zlib';

const { deflateRawSync } = zlib;
// zlib.crc32 arrived in Node 20.15; the table version is for older 20.x.
const crc32 = zlib.crc32 ?? tableCrc32;

const dosTime = 0; // 00:00:00
const dosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest date a zip can hold
const utf8Flag = 0x0800; // names are UTF-8
const madeByUnix = (3 << 8) | 20; // host system Unix (so the modes below count), spec 2.0
const fileMode = 0o100644;
const dirMode = 0o040755;
const max32 = 0xffffffff;

/**
 * @param {{ name: string, data: Buffer }[]} files  paths with `/` separators, no leading `/`
 * @returns {Buffer} the zip, with an entry for every parent folder too (some unzip-to-mount
 *   implementations, like App Service's run-from-package, expect folders to be listed)
 */
export function writeZip(files) {
  const entries = new Map();
  for (const file of files) {
    if (
      file.name.startsWith('/') ||
      file.name.includes('\\') ||
      file.name.split('/').includes('..')
    )
      throw new Error(`bad zip entry name: ${file.name}`);
    if (entries.has(file.name)) throw new Error(`duplicate zip entry: ${file.name}`);
    entries.set(file.name, file.data);
    const parts = file.name.split('/');
    for (let i = 1; i < parts.length; i++) entries.set(`${parts.slice(0, i).join('/')}/`, null);
  }
  const names = [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const name of names) {
    const data = entries.get(name);
    const nameBytes = Buffer.from(name, 'utf8');
    const isDir = data === null;
    const raw = isDir ? Buffer.alloc(0) : data;
    const deflated = isDir ? raw : deflateRawSync(raw, { level: 9 });
    // Store when deflate does not help (tiny or incompressible files).
    const method = !isDir && deflated.length < raw.length ? 8 : 0;
    const body = method === 8 ? deflated : raw;
    const crc = isDir ? 0 : crc32(raw);
    if (raw.length >= max32 || offset >= max32) throw new Error('zip64 is not supported');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate, folders)
    local.writeUInt16LE(utf8Flag, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // no extra field (it would carry timestamps)
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(madeByUnix, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(utf8Flag, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    // External attributes: Unix mode in the high 16 bits; MS-DOS directory bit for folders.
    central.writeUInt32LE((((isDir ? dirMode : fileMode) << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  if (names.length > 0xffff) throw new Error('too many zip entries');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk with the directory
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // no comment
  return Buffer.concat([...locals, directory, end]);
}

let crcTable;
function tableCrc32(data) {
  crcTable ??= Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
