/**
 * Box and two points of a mask in the SegZero ground-truth style: the box of the mask, and the centres of its two
 * largest disjoint inscribed circles (SegZero describes its points as "two largest inscribed circles inside the
 * object"; its data preparation is not published, so this is our reading: a chamfer distance transform, the
 * farthest pixel from the background, then the farthest pixel whose circle does not overlap the first).
 */
import type { BinaryMask, Box } from '../../plugins/api.js';

export type MaskPoint = [number, number];

/** Distance of every mask pixel to the nearest background pixel (outside the image counts as background); 0 off the mask. */
export function chamferDistance(mask: BinaryMask): Float64Array {
  const { width: w, height: h, data } = mask;
  const d = new Float64Array(w * h);
  const far = w + h;
  for (let i = 0; i < d.length; i++) d[i] = data[i] ? far : 0;
  const diagonal = Math.SQRT2;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : d[y * w + x]!);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (d[i] === 0) continue;
      d[i] = Math.min(d[i]!, at(x - 1, y) + 1, at(x, y - 1) + 1, at(x - 1, y - 1) + diagonal, at(x + 1, y - 1) + diagonal);
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (d[i] === 0) continue;
      d[i] = Math.min(d[i]!, at(x + 1, y) + 1, at(x, y + 1) + 1, at(x + 1, y + 1) + diagonal, at(x - 1, y + 1) + diagonal);
    }
  }
  return d;
}

/** Centres of the two largest disjoint inscribed circles (raster order breaks ties); undefined for an empty mask. */
export function inscribedCirclePoints(mask: BinaryMask): [MaskPoint, MaskPoint] | undefined {
  const d = chamferDistance(mask);
  const { width: w } = mask;
  let first = -1;
  for (let i = 0; i < d.length; i++) if (d[i]! > 0 && (first < 0 || d[i]! > d[first]!)) first = i;
  if (first < 0) return undefined;
  const p1: MaskPoint = [first % w, Math.floor(first / w)];
  const r1 = d[first]!;
  let second = -1;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === 0 || (second >= 0 && d[i]! <= d[second]!)) continue;
    const apart = Math.hypot((i % w) - p1[0], Math.floor(i / w) - p1[1]);
    if (apart >= r1 + d[i]!) second = i;
  }
  const p2: MaskPoint = second < 0 ? [...p1] : [second % w, Math.floor(second / w)];
  return [p1, p2];
}

/** The union of several masks of one frame (the objects an expression refers to together). */
export function unionMask(masks: readonly BinaryMask[]): BinaryMask {
  const first = masks[0];
  if (!first) throw new Error('unionMask: no mask');
  const data = new Uint8Array(first.width * first.height);
  for (const m of masks) {
    if (m.width !== first.width || m.height !== first.height) throw new Error(`unionMask: ${m.width}x${m.height} mask beside ${first.width}x${first.height}`);
    for (let i = 0; i < data.length; i++) if (m.data[i]) data[i] = 1;
  }
  return { width: first.width, height: first.height, data };
}

/** `<box>(x1,y1),(x2,y2)</box><points>(x,y),(x,y)</points>`, the refCOCOg_2k_840 solution text. */
export function segZeroSolutionText(box: Box, points: readonly [MaskPoint, MaskPoint]): string {
  const [x1, y1, x2, y2] = box.map(Math.round);
  const [[px1, py1], [px2, py2]] = points;
  return `<box>(${x1},${y1}),(${x2},${y2})</box><points>(${px1},${py1}),(${px2},${py2})</points>`;
}
