// Draws the add-in's icons (a white padlock on a blue rounded square) as PNG files in web/icons/.
// Run: node scripts/make-icons.mjs. The PNGs are committed; this script is how they were made.
// Shapes are in a 0..1 unit square, sampled 4×4 per pixel for anti-aliasing; PNG per RFC 2083 (RGBA, filter 0).
import { writeFileSync, mkdirSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const SIZES = [16, 32, 64, 80, 128];
const BLUE = [11, 92, 173];
const WHITE = [255, 255, 255];

function roundedRect(x, y, left, top, right, bottom, radius) {
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 && x >= left && x <= right && y >= top && y <= bottom;
}

/** @returns {number[] | null} the colour at (x, y), or null for transparent */
function colourAt(x, y) {
  if (!roundedRect(x, y, 0, 0, 1, 1, 0.18)) {
    return null;
  }
  const body = roundedRect(x, y, 0.24, 0.44, 0.76, 0.84, 0.06);
  const keyhole = ((x - 0.5) ** 2 + (y - 0.6) ** 2 <= 0.055 ** 2) || (Math.abs(x - 0.5) <= 0.025 && y >= 0.6 && y <= 0.74);
  const r = Math.hypot(x - 0.5, y - 0.44);
  const shackle = y <= 0.46 && r >= 0.13 && r <= 0.2 && y >= 0.16 || (y > 0.3 && y <= 0.46 && ((x >= 0.3 && x <= 0.37) || (x >= 0.63 && x <= 0.7)));
  if ((body && !keyhole) || shackle) {
    return WHITE;
  }
  return BLUE;
}

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) {
      crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
    }
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function drawPng(size) {
  const samples = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const colour = colourAt((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
          if (colour) {
            sum[0] += colour[0];
            sum[1] += colour[1];
            sum[2] += colour[2];
            sum[3] += 1;
          }
        }
      }
      const offset = py * (size * 4 + 1) + 1 + px * 4;
      const covered = sum[3];
      raw[offset] = covered ? Math.round(sum[0] / covered) : 0;
      raw[offset + 1] = covered ? Math.round(sum[1] / covered) : 0;
      raw[offset + 2] = covered ? Math.round(sum[2] / covered) : 0;
      raw[offset + 3] = Math.round((covered / (samples * samples)) * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const folder = new URL("../web/icons/", import.meta.url);
  mkdirSync(folder, { recursive: true });
  for (const size of SIZES) {
    writeFileSync(new URL("icon-" + size + ".png", folder), drawPng(size));
  }
  console.log("wrote " + SIZES.map((s) => "icon-" + s + ".png").join(", "));
}
