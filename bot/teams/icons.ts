// The Teams app icons, drawn in code and encoded as PNG with node's zlib (no image
// tools, no network): color.png 192×192 (full-bleed colour) and outline.png 32×32
// (white on transparent), as the Teams app package requires.
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes RGBA pixels (row-major, 4 bytes each) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

type Rgb = [number, number, number];

/**
 * The mark: a gauge (three quarters of a ring) with a needle, and a "+" for the
 * extra. `inside(x, y)` in unit coordinates (0..1); 4×4 supersampling for smooth edges.
 */
function markCoverage(x: number, y: number): number {
  const cx = 0.5;
  const cy = 0.54;
  const dx = x - cx;
  const dy = y - cy;
  const r = Math.hypot(dx, dy);
  const angle = Math.atan2(dy, dx); // 0 = right, +π/2 = down
  // Ring from 135° to 405° (open at the bottom).
  const onRing = r > 0.27 && r < 0.36 && !(angle > Math.PI / 4 && angle < (3 * Math.PI) / 4);
  // Needle from the centre towards the upper right.
  const nx = Math.cos(-Math.PI / 4);
  const ny = Math.sin(-Math.PI / 4);
  const along = dx * nx + dy * ny;
  const across = Math.abs(dx * -ny + dy * nx);
  const onNeedle = along > -0.02 && along < 0.22 && across < 0.035;
  const onHub = r < 0.055;
  // A plus at the bottom, in the ring's gap.
  const px = x - 0.5;
  const py = y - 0.84;
  const onPlus = (Math.abs(px) < 0.085 && Math.abs(py) < 0.025) || (Math.abs(px) < 0.025 && Math.abs(py) < 0.085);
  return onRing || onNeedle || onHub || onPlus ? 1 : 0;
}

function draw(size: number, background: Rgb | null, foreground: Rgb): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  const S = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0;
      for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) cover += markCoverage((x + (sx + 0.5) / S) / size, (y + (sy + 0.5) / S) / size);
      const a = cover / (S * S);
      const i = (y * size + x) * 4;
      if (background) {
        for (let k = 0; k < 3; k++) rgba[i + k] = Math.round(background[k]! * (1 - a) + foreground[k]! * a);
        rgba[i + 3] = 255;
      } else {
        rgba.set(foreground, i);
        rgba[i + 3] = Math.round(255 * a);
      }
    }
  }
  return encodePng(size, size, rgba);
}

export const ACCENT = '#5B5FC7';

/** 192×192, full-bleed accent colour with the white mark. */
export const colorIcon = (): Buffer => draw(192, [0x5b, 0x5f, 0xc7], [255, 255, 255]);

/** 32×32, the white mark on a transparent background. */
export const outlineIcon = (): Buffer => draw(32, null, [255, 255, 255]);
