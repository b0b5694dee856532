/**
 * Prompted training samples from the synthetic scenes of src/core/synth, made in memory: a random scene rendered at
 * the model's input size, a random visible object on a random frame, its exact visible mask, its box (with the
 * reference's training jitter) and the mask at the decoder's resolution. Sample `i` of a run depends only on
 * (seed, i), so a resumed run sees the same data as an uninterrupted one.
 */
import { drawLayout, renderScene, SeededRandom, tensorData, type TensorData } from 'omni-r1';
import type { BinaryMask, Box, RgbImage } from 'omni-r1/plugin-api';
import { preprocessImage } from '../processing.js';
import { TRAIN_INPUTS } from './train-graph.js';

/** Objects smaller than this fraction of the frame are not prompted (a few pixels at the mask resolution). */
export const MIN_OBJECT_FRACTION = 0.004;
/** sample_box_points: noise 0.1 of the box side, bounded by 20 px of a 1024 px input. */
export const BOX_NOISE = 0.1;
export const BOX_NOISE_BOUND_AT_1024 = 20;
const SCENE_FRAMES = 4;

export interface BoxSample {
  image: RgbImage;
  mask: BinaryMask;
  /** The mask's tight box [x0, y0, x1, y1] (inclusive pixel indices, as torchvision's masks_to_boxes). */
  box: Box;
}

/** [x0, y0, x1, y1] of a non-empty mask's pixels; undefined for an empty mask. */
export function maskBox(mask: BinaryMask): Box | undefined {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1, y1];
}

/** Every object of a fresh scene visible enough to prompt, on one frame: the synthetic ground truth. */
export function sceneSamples(rng: SeededRandom, width: number, height: number): BoxSample[] {
  const scene = drawLayout(rng, { name: 'train', width, height, frames: SCENE_FRAMES, fps: 1, unseenKind: 'allow' });
  const rendered = renderScene(scene);
  const t = rng.int(0, SCENE_FRAMES - 1);
  const samples: BoxSample[] = [];
  for (const object of scene.objects) {
    if (rendered.visibleArea[object.id]![t]! < MIN_OBJECT_FRACTION * width * height) continue;
    const mask = rendered.mask(object.id, t);
    samples.push({ image: rendered.frames[t]!, mask, box: maskBox(mask)! });
  }
  return samples;
}

/** The prompted objects of training scene `index` of run `seed` (the first of its draws with at least one). */
export function trainingScene(seed: number, index: number, size: number): BoxSample[] {
  const rng = SeededRandom.fromSeed(seed, index);
  for (;;) {
    const samples = sceneSamples(rng, size, size);
    if (samples.length > 0) return samples;
  }
}

/**
 * `count` objects of a scene for one training image: distinct objects in a random order, cycling through them again
 * when the scene has fewer (so every image of a batch carries the same number of prompts).
 */
export function pickObjects(samples: readonly BoxSample[], count: number, rng: SeededRandom): BoxSample[] {
  const order = samples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Array.from({ length: count }, (_, k) => samples[order[k % order.length]!]!);
}

/** The reference's box jitter: each side moved uniformly by up to min(0.1 * box side, bound), clipped to the image. */
export function jitterBox(box: Box, rng: SeededRandom, size: number): Box {
  const bound = (BOX_NOISE_BOUND_AT_1024 * size) / 1024;
  const dx = Math.min((box[2] - box[0]) * BOX_NOISE, bound);
  const dy = Math.min((box[3] - box[1]) * BOX_NOISE, bound);
  const clip = (v: number) => Math.min(Math.max(v, 0), size - 1);
  return [clip(box[0] + rng.uniform(-1, 1) * dx), clip(box[1] + rng.uniform(-1, 1) * dy), clip(box[2] + rng.uniform(-1, 1) * dx), clip(box[3] + rng.uniform(-1, 1) * dy)];
}

/** A mask at 1 / factor of its size: a pixel is on when at least half of its factor x factor block is. */
export function downsampleMask(mask: BinaryMask, factor: number): Float32Array {
  const w = mask.width / factor;
  const h = mask.height / factor;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let on = 0;
      for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) on += mask.data[(y * factor + dy) * mask.width + x * factor + dx]!;
      out[y * w + x] = 2 * on >= factor * factor ? 1 : 0;
    }
  }
  return out;
}

/** A pixel of the mask drawn uniformly (the reference's positive click sampled inside the object). */
export function clickInside(mask: BinaryMask, rng: SeededRandom): [number, number] {
  const on: number[] = [];
  mask.data.forEach((v, i) => v && on.push(i));
  const pixel = on[rng.int(0, on.length - 1)]!;
  return [pixel % mask.width, Math.floor(pixel / mask.width)];
}

/** Probability that a training sample is prompted with one click instead of its box. */
export const CLICK_PROBABILITY = 0.5;
/** Prompt labels: a positive click, padding (not a point), a box's top-left and bottom-right corners. */
const POSITIVE = 1;
const PADDING = -1;
const BOX_CORNERS = [2, 3] as const;

/**
 * The feeds of the training graph for images [first, first + batch) of run `seed`, each with `objects` prompted
 * objects of its scene (SAM2 trains several objects of an image at once; seeing one image under different prompts is
 * what makes the decoder follow the prompt instead of segmenting "the foreground"). As in SAM2's training, an object
 * is prompted with its (jittered) box or with one positive click inside it (probability `clickProbability` each).
 * Both are fed as two prompt points so objects batch together: a box as its corners labelled 2 and 3, which the prompt
 * encoder embeds exactly as it embeds input_boxes; a click with one padding point (label -1), as SAM's processors pad.
 */
export function trainingBatch(
  seed: number,
  first: number,
  batch: number,
  size: number,
  maskSize: number,
  options: { objects?: number; clickProbability?: number } = {},
): Record<string, TensorData> {
  const objects = options.objects ?? 1;
  const clickProbability = options.clickProbability ?? CLICK_PROBABILITY;
  const pixels = new Float32Array(batch * 3 * size * size);
  const points = new Float32Array(batch * objects * 4);
  const labels: number[] = [];
  const targets = new Float32Array(batch * objects * maskSize * maskSize);
  for (let b = 0; b < batch; b++) {
    const scene = trainingScene(seed, first + b, size);
    pixels.set(preprocessImage(scene[0]!.image, size, 'square').pixelValues, b * 3 * size * size);
    pickObjects(scene, objects, SeededRandom.fromSeed(seed, first + b, 2)).forEach((sample, k) => {
      const n = b * objects + k;
      const prompt = SeededRandom.fromSeed(seed, first + b, 1, k);
      if (prompt.chance(clickProbability)) {
        points.set([...clickInside(sample.mask, prompt), 0, 0], n * 4);
        labels.push(POSITIVE, PADDING);
      } else {
        points.set(jitterBox(sample.box, prompt, size), n * 4);
        labels.push(...BOX_CORNERS);
      }
      targets.set(downsampleMask(sample.mask, size / maskSize), n * maskSize * maskSize);
    });
  }
  return {
    [TRAIN_INPUTS.pixels]: tensorData('float32', [batch, 3, size, size], pixels),
    [TRAIN_INPUTS.boxes]: tensorData('float32', [batch, 0, 4]),
    [TRAIN_INPUTS.points]: tensorData('float32', [batch, objects, 2, 2], points),
    [TRAIN_INPUTS.labels]: tensorData('int64', [batch, objects, 2], labels),
    [TRAIN_INPUTS.targets]: tensorData('float32', [batch, objects, maskSize, maskSize], targets),
  };
}
