import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Inflate } from 'fflate';
import { UnsafeArchiveError } from './errors.js';

/** One entry of a zip central directory, as {@link readZipEntries} returns it. */
export interface ZipEntry {
  /** The name as stored (forward slashes; a trailing slash marks a folder). */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
  /** The OS that made the entry (3 = Unix), from "version made by". */
  hostSystem: number;
  /** External attributes (on Unix the file mode in the upper 16 bits). */
  externalAttributes: number;
  /** General-purpose flags (bit 0: encrypted). */
  flags: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function decodeName(bytes: Uint8Array, utf8: boolean): string {
  return new TextDecoder(utf8 ? 'utf-8' : 'latin1').decode(bytes);
}

/**
 * Reads the central directory of a zip file (the authoritative list of entries, with the external
 * attributes that mark symbolic links). ZIP64 archives (over 4 GiB or 65535 entries) are refused.
 */
export async function readZipEntries(zipFile: string): Promise<ZipEntry[]> {
  const handle = await open(zipFile, 'r');
  try {
    const { size } = await handle.stat();
    const tailStart = Math.max(0, size - (22 + 0xffff));
    const tail = await readAt(handle, tailStart, size - tailStart);
    let eocd = -1;
    for (let p = tail.length - 22; p >= 0; p--) {
      if (tail.readUInt32LE(p) === EOCD_SIGNATURE) {
        eocd = p;
        break;
      }
    }
    if (eocd === -1)
      throw new UnsafeArchiveError(
        zipFile,
        'no end-of-central-directory record (not a zip file, or a truncated one)',
      );
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
      throw new UnsafeArchiveError(zipFile, 'ZIP64 archives are not supported');
    if (cdOffset + cdSize > size)
      throw new UnsafeArchiveError(
        zipFile,
        'the central directory lies past the end of the file (truncated archive)',
      );
    const cd = await readAt(handle, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIGNATURE)
        throw new UnsafeArchiveError(zipFile, `central directory entry ${k} is damaged`);
      const flags = cd.readUInt16LE(p + 8);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      entries.push({
        hostSystem: cd.readUInt16LE(p + 4) >> 8,
        flags,
        method: cd.readUInt16LE(p + 10),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        externalAttributes: cd.readUInt32LE(p + 38),
        localHeaderOffset: cd.readUInt32LE(p + 42),
        name: decodeName(cd.subarray(p + 46, p + 46 + nameLength), (flags & 0x800) !== 0),
      });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * Throws {@link UnsafeArchiveError} unless the entry is a plain file or folder whose name stays
 * inside `targetDir`: no absolute path, drive letter, `..` segment, NUL, symbolic link or other
 * special file, encryption, or compression other than stored/deflate. Returns the output path.
 */
export function checkZipEntry(entry: ZipEntry, targetDir: string): string {
  const { name } = entry;
  const normalized = name.replaceAll('\\', '/');
  if (name.length === 0 || name.includes('\0'))
    throw new UnsafeArchiveError(name, 'the name is empty or holds a NUL character');
  if (normalized.startsWith('/')) throw new UnsafeArchiveError(name, 'it is an absolute path');
  if (/^[a-zA-Z]:/.test(normalized))
    throw new UnsafeArchiveError(name, 'it starts with a drive letter');
  if (normalized.split('/').includes('..'))
    throw new UnsafeArchiveError(
      name,
      "it has a '..' segment that climbs out of the target folder",
    );
  if (entry.hostSystem === 3) {
    const type = (entry.externalAttributes >>> 16) & S_IFMT;
    if (type === S_IFLNK) throw new UnsafeArchiveError(name, 'it is a symbolic link');
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
      throw new UnsafeArchiveError(name, 'it is a special file (device, FIFO or socket)');
  }
  if (entry.flags & 1) throw new UnsafeArchiveError(name, 'it is encrypted');
  if (entry.method !== 0 && entry.method !== 8)
    throw new UnsafeArchiveError(
      name,
      `compression method ${entry.method} is not supported (only stored and deflate)`,
    );
  const root = resolve(targetDir);
  const output = resolve(root, normalized);
  const rel = relative(root, output);
  if (
    rel === ''
      ? !normalized.endsWith('/')
      : rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')
  ) {
    throw new UnsafeArchiveError(name, 'it resolves outside the target folder');
  }
  return output;
}

async function extractEntry(
  zipFile: string,
  archive: FileHandle,
  entry: ZipEntry,
  output: string,
): Promise<void> {
  const local = await readAt(archive, entry.localHeaderOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIGNATURE)
    throw new UnsafeArchiveError(entry.name, `its local header in ${zipFile} is damaged`);
  const nameLength = local.readUInt16LE(26);
  const localName = decodeName(
    await readAt(archive, entry.localHeaderOffset + 30, nameLength),
    (entry.flags & 0x800) !== 0,
  );
  if (localName !== entry.name)
    throw new UnsafeArchiveError(
      entry.name,
      `its local header names it ${JSON.stringify(localName)}`,
    );
  const start = entry.localHeaderOffset + 30 + nameLength + local.readUInt16LE(28);
  await mkdir(dirname(output), { recursive: true });
  const out = await open(output, 'wx');
  try {
    let written = 0;
    let pending: Uint8Array[] = [];
    const inflate = entry.method === 8 ? new Inflate((chunk) => pending.push(chunk)) : undefined;
    const flush = async (): Promise<void> => {
      for (const chunk of pending) {
        written += chunk.length;
        if (written > entry.size)
          throw new UnsafeArchiveError(
            entry.name,
            `it inflates past its declared size of ${entry.size} bytes`,
          );
        await out.write(chunk);
      }
      pending = [];
    };
    if (entry.compressedSize > 0) {
      for await (const chunk of createReadStream(zipFile, {
        start,
        end: start + entry.compressedSize - 1,
      })) {
        if (inflate) inflate.push(chunk as Buffer);
        else pending.push(chunk as Buffer);
        await flush();
      }
    }
    if (inflate) {
      inflate.push(new Uint8Array(0), true);
      await flush();
    }
    if (written !== entry.size)
      throw new UnsafeArchiveError(
        entry.name,
        `it holds ${written} bytes, its header says ${entry.size} (damaged archive)`,
      );
  } finally {
    await out.close();
  }
}

/**
 * Extracts a zip file into `targetDir` (normally a fresh temporary folder) with fflate, streaming
 * each entry. Every entry is checked with {@link checkZipEntry} before anything is written, files
 * are created exclusively (never overwritten), and sizes are verified. Returns the files written.
 */
export async function extractZip(zipFile: string, targetDir: string): Promise<string[]> {
  const entries = await readZipEntries(zipFile);
  const outputs = entries.map((entry) => checkZipEntry(entry, targetDir));
  await mkdir(targetDir, { recursive: true });
  const archive = await open(zipFile, 'r');
  const written: string[] = [];
  try {
    for (const [k, entry] of entries.entries()) {
      const output = outputs[k]!;
      if (entry.name.endsWith('/')) {
        await mkdir(output, { recursive: true });
        continue;
      }
      await extractEntry(zipFile, archive, entry, output);
      written.push(output);
    }
  } finally {
    await archive.close();
  }
  return written;
}
