// Renders build/icon.svg into the PNG, ICO and ICNS icons electron-builder uses, offline:
// Debian's Chromium through the installed `playwright` package (never a browser download).
//   node build/make-icons.mjs [--chromium /usr/bin/chromium]
// Output: build/icons/<N>x<N>.png (Linux), build/icon.png (1024), build/icon.ico (Windows), build/icon.icns (macOS).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf('--chromium');
const executablePath = flag > 0 ? process.argv[flag + 1] : (process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// ICNS element types that hold PNG data, by pixel size (the @2x types share a size with a larger 1x one).
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
];

async function render(svg, sizes) {
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    const out = new Map();
    for (const size of sizes) {
      await page.setViewportSize({ width: size, height: size });
      // The SVG as an <img> scaled by the browser: the same rasteriser the desktop uses for the panel.
      const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
      await page.setContent(
        `<html><body style="margin:0;background:transparent"><img src="${src}" width="${size}" height="${size}" style="display:block"></body></html>`,
      );
      await page.waitForFunction(() => globalThis.document.images[0]?.complete);
      out.set(size, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** ICO with PNG-compressed images (Windows Vista and later read these; 256 is stored as 0). */
export function icoOf(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach(([size, png], i) => {
    const e = i * 16;
    dir.writeUInt8(size >= 256 ? 0 : size, e);
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt8(0, e + 2); // no palette
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4); // colour planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...images.map(([, png]) => png)]);
}

/** ICNS: 'icns' + total length, then (type, length incl. 8-byte header, PNG data) elements. */
export function icnsOf(elements) {
  const parts = elements.map(([type, png]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const svg = readFileSync(path.join(here, 'icon.svg'), 'utf8');
  const pngs = await render(svg, PNG_SIZES);
  mkdirSync(path.join(here, 'icons'), { recursive: true });
  for (const size of PNG_SIZES.filter((s) => s <= 512))
    writeFileSync(path.join(here, 'icons', `${size}x${size}.png`), pngs.get(size));
  writeFileSync(path.join(here, 'icon.png'), pngs.get(1024));
  writeFileSync(path.join(here, 'icon.ico'), icoOf(ICO_SIZES.map((s) => [s, pngs.get(s)])));
  writeFileSync(path.join(here, 'icon.icns'), icnsOf(ICNS_TYPES.map(([type, s]) => [type, pngs.get(s)])));
  console.log(`icons written to ${here}`);
}
