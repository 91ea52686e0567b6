import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, PieceDigest } from '../../../electron/core/lib/hash';

const sha = (data: string) => createHash('sha256').update(data).digest('hex');

describe('PieceDigest', () => {
  it('gives the sha256 of a file in one piece, in several, and of no bytes', () => {
    const one = new PieceDigest();
    one.add(Buffer.from('all of it'), true);
    expect(one.hex()).toBe(sha('all of it'));

    const three = new PieceDigest();
    three.add(Buffer.from('first, '), false);
    three.add(Buffer.from('second, '), false);
    three.add(Buffer.from('third'), true);
    expect(three.hex()).toBe(sha('first, second, third'));

    expect(new PieceDigest().hex()).toBe(EMPTY_SHA256);
    expect(EMPTY_SHA256).toBe(sha(''));
  });

  it('refuses a piece after the one given as last', () => {
    const d = new PieceDigest();
    d.add(Buffer.from('whole'), true);
    expect(() => d.add(Buffer.from('more'), false)).toThrow(/after the last piece/);
  });
});
