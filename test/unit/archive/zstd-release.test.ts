import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { TarFormatError } from '../../../electron/core/archive';
import {
  ANY_FRAMES,
  BACKUP_FRAMES,
  decodeZstd,
  zstdDecoder,
  type ZstdFrameRules,
} from '../../../electron/core/archive/zstd';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

/** The reference zstd CLI (CI installs it): from stdin it declares no content size, from a file it does. */
function zstdCli(data: Buffer, how: 'pipe' | 'file', level = 3): Buffer {
  if (how === 'pipe') return spawnSync('zstd', ['-q', '-c', `-${level}`], { input: data, maxBuffer: 64 * MiB }).stdout;
  const file = path.join(tempDir('upkeep-zst-'), 'data');
  writeFileSync(file, data);
  return spawnSync('zstd', ['-q', '-c', `-${level}`, file], { maxBuffer: 64 * MiB }).stdout;
}

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function decode(data: Buffer, rules: ZstdFrameRules, pieceSize = 7_001): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of decodeZstd(pieces(data, pieceSize), await zstdDecoder(rules), rules))
    out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

/** Text that compresses, with some noise so blocks stay compressed blocks. */
function sample(bytes: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'q9x7k2'];
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const w = `${words[i % words.length]}${i % 97} `;
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

describe('zstd frames of release assets (ANY_FRAMES, for runtimes without zstd)', () => {
  it('decodes what the zstd CLI writes from a pipe (compressed blocks, no declared size) and from a file', async () => {
    const data = sample(3 * MiB + 12_345);
    for (const how of ['pipe', 'file'] as const) {
      const packed = zstdCli(data, how);
      expect(packed.length, how).toBeGreaterThan(0);
      expect((await decode(packed, ANY_FRAMES)).equals(data), how).toBe(true);
    }
  });

  it("a backup's rules still refuse a size-less frame with compressed blocks", async () => {
    const packed = zstdCli(sample(1 * MiB), 'pipe');
    await expect(decode(packed, BACKUP_FRAMES)).rejects.toThrow(TarFormatError);
  });

  it('a frame over the limit is UNSUPPORTED with what to do, declared or not', async () => {
    const small: ZstdFrameRules = { maxFrameContent: 1 * MiB, unsizedCompressed: true };
    const data = sample(2 * MiB);
    for (const how of ['pipe', 'file'] as const) {
      const error = await decode(zstdCli(data, how), small).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, how).toBeInstanceOf(UpkeepError);
      expect((error as UpkeepError).code).toBe('UNSUPPORTED');
      expect((error as UpkeepError).message).toMatch(
        /decodes each frame whole .* up to 1 MiB\. Use the release's \.tar\.gz or \.zip asset/,
      );
    }
    // Under the limit, the same rules decode it.
    expect((await decode(zstdCli(sample(MiB / 2), 'pipe'), small)).length).toBe(MiB / 2);
  });

  it('a damaged size-less frame is refused as damaged, not decoded to garbage', async () => {
    const packed = Buffer.from(zstdCli(sample(MiB), 'pipe'));
    const mid = Math.floor(packed.length / 2);
    for (let i = mid; i < mid + 64; i++) packed[i] = (packed[i] as number) ^ 0x5a;
    await expect(decode(packed, ANY_FRAMES)).rejects.toThrow(TarFormatError);
  });
});
