import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';

const buildDir = path.join(repoRoot, 'build');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Decoded {
  width: number;
  height: number;
  alpha(x: number, y: number): number;
  rgb(x: number, y: number): [number, number, number];
}

/** A small PNG decoder for 8-bit RGBA (what Chromium's screenshots are): chunks, zlib, the five row filters. */
function decodePng(png: Buffer): Decoded {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9], data[12]]).toEqual([8, 6, 0]); // 8-bit, RGBA, not interlaced
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= 4 ? (pixels[y * stride + x - 4] as number) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const c = x >= 4 && y > 0 ? (pixels[(y - 1) * stride + x - 4] as number) : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = Math.floor((a + b) / 2);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return {
    width,
    height,
    alpha: (x, y) => pixels[y * stride + x * 4 + 3] as number,
    rgb: (x, y) => [
      pixels[y * stride + x * 4] as number,
      pixels[y * stride + x * 4 + 1] as number,
      pixels[y * stride + x * 4 + 2] as number,
    ],
  };
}

/** The mark as drawn: transparent outside the rounded tile, the teal tile, white strokes. */
function expectTheMark(png: Buffer, size: number): void {
  const img = decodePng(png);
  expect([img.width, img.height]).toEqual([size, size]);
  expect(img.alpha(0, 0)).toBe(0); // rounded corner
  expect(img.alpha(size - 1, size - 1)).toBe(0);
  const edge = Math.round(size * 0.1);
  expect(img.alpha(edge, Math.round(size / 2))).toBe(255); // inside the tile, left of the arrow
  const [r, g, b] = img.rgb(edge, Math.round(size / 2));
  expect(g).toBeGreaterThan(r + 40); // teal, not white or black
  expect(b).toBeGreaterThan(r);
  if (size >= 32) {
    // the check mark's elbow at (240, 310) of 512 is white
    const [wr, wg, wb] = img.rgb(Math.round((240 / 512) * size), Math.round((300 / 512) * size));
    expect(Math.min(wr, wg, wb)).toBeGreaterThan(200);
  }
}

describe('icons in build/', () => {
  it('the product mark is an SVG', () => {
    const svg = readFileSync(path.join(buildDir, 'icon.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 512 512"/);
    expect(svg).toContain('<title>Upkeep</title>');
  });

  for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) {
    it(`build/icons/${size}x${size}.png is a ${size} px rendering of the mark`, () => {
      expectTheMark(readFileSync(path.join(buildDir, 'icons', `${size}x${size}.png`)), size);
    });
  }

  it('build/icon.png is the 1024 px master', () => {
    expectTheMark(readFileSync(path.join(buildDir, 'icon.png')), 1024);
  });

  it('build/icon.ico holds PNG images from 16 to 256 px with a correct directory', () => {
    const ico = readFileSync(path.join(buildDir, 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    let end = 6 + count * 16;
    for (let i = 0; i < count; i++) {
      const e = 6 + i * 16;
      const size = ico[e] === 0 ? 256 : (ico[e] as number);
      const length = ico.readUInt32LE(e + 8);
      const at = ico.readUInt32LE(e + 12);
      expect(ico.readUInt16LE(e + 6)).toBe(32);
      expect(at).toBe(end);
      end = at + length;
      expectTheMark(ico.subarray(at, at + length), size);
      sizes.push(size);
    }
    expect(end).toBe(ico.length);
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('build/icon.icns holds PNG elements of the sizes their types declare', () => {
    const icns = readFileSync(path.join(buildDir, 'icon.icns'));
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const declared: Record<string, number> = {
      icp4: 16,
      icp5: 32,
      ic11: 32,
      icp6: 64,
      ic12: 64,
      ic07: 128,
      ic08: 256,
      ic13: 256,
      ic09: 512,
      ic14: 512,
      ic10: 1024,
    };
    const seen: string[] = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.toString('ascii', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      expect(declared[type], `unknown icns element ${type}`).toBeDefined();
      expectTheMark(icns.subarray(at + 8, at + length), declared[type] as number);
      seen.push(type);
      at += length;
    }
    expect(seen.sort()).toEqual(Object.keys(declared).sort());
  });
});
