// Generates every app icon from the one source image, resources/icon.svg:
//   resources/icons/<n>x<n>.png  Linux icon set (electron-builder linux.icon)
//   resources/icon.icns          macOS (PNG-based icns: ic07…ic10)
//   resources/icon.ico           Windows (PNG-based ico: 16…256)
//   renderer/public/icon.png     the window icon (copied to out/renderer by the build)
//   renderer/public/favicon.svg  the headless host's favicon (the SVG itself)
// Needs rsvg-convert (Debian/Ubuntu: apt-get install librsvg2-bin). Run: node scripts/icons.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const source = join(root, 'resources', 'icon.svg');
const setDir = join(root, 'resources', 'icons');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

function render(size) {
  const file = join(setDir, `${size}x${size}.png`);
  try {
    execFileSync('rsvg-convert', ['-w', String(size), '-h', String(size), '-o', file, source]);
  } catch (error) {
    throw new Error(`rsvg-convert could not render ${source} to ${file}: ${error.message} (apt-get install librsvg2-bin)`);
  }
  return readFileSync(file);
}

mkdirSync(setDir, { recursive: true });
const png = Object.fromEntries(SIZES.map((s) => [s, render(s)]));

// ICO: header, one 16-byte directory entry per image, then the PNGs (Vista+ reads PNG entries).
const icoSizes = [16, 24, 32, 48, 64, 128, 256];
const header = Buffer.alloc(6 + 16 * icoSizes.length);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2);
header.writeUInt16LE(icoSizes.length, 4);
let offset = header.length;
icoSizes.forEach((s, i) => {
  const at = 6 + 16 * i;
  header.writeUInt8(s === 256 ? 0 : s, at);
  header.writeUInt8(s === 256 ? 0 : s, at + 1);
  header.writeUInt16LE(1, at + 4);
  header.writeUInt16LE(32, at + 6);
  header.writeUInt32LE(png[s].length, at + 8);
  header.writeUInt32LE(offset, at + 12);
  offset += png[s].length;
});
writeFileSync(join(root, 'resources', 'icon.ico'), Buffer.concat([header, ...icoSizes.map((s) => png[s])]));

// ICNS: 'icns' + total length, then (type, length incl. 8-byte head, PNG) per size.
const icnsTypes = [['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024]];
const chunks = icnsTypes.map(([type, s]) => {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'ascii');
  head.writeUInt32BE(png[s].length + 8, 4);
  return Buffer.concat([head, png[s]]);
});
const icnsHead = Buffer.alloc(8);
icnsHead.write('icns', 0, 'ascii');
icnsHead.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
writeFileSync(join(root, 'resources', 'icon.icns'), Buffer.concat([icnsHead, ...chunks]));

mkdirSync(join(root, 'renderer', 'public'), { recursive: true });
writeFileSync(join(root, 'renderer', 'public', 'icon.png'), png[512]);
copyFileSync(source, join(root, 'renderer', 'public', 'favicon.svg'));
console.log(`icons written from ${source}: ${SIZES.length} PNGs in ${setDir}, icon.ico, icon.icns, renderer/public/icon.png and favicon.svg`);
