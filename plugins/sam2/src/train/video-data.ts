/**
 * Training clips for the video stage: T consecutive frames of a synthetic video (drawn as the held-out videos are:
 * 16 frames at 2 fps, one object followed), the object's jittered box on the first frame, and its mask on every frame.
 */
import { drawLayout, renderScene, SeededRandom, tensorData, type TensorData } from 'omni-r1';
import { preprocessImage } from '../processing.js';
import { downsampleMask, jitterBox, maskBox, MIN_OBJECT_FRACTION } from './data.js';
import { VIDEO_TRAIN_INPUTS } from './video-train-graph.js';

export const CLIP_VIDEO_FRAMES = 16;
const BOX_CORNERS = [2, 3] as const;
const NOT_A_POINT = -1;

/** The feeds of the video training graph for clip `index` of run `seed`. */
export function trainingClip(seed: number, index: number, frames: number, size: number, maskSize: number): Record<string, TensorData> {
  const rng = SeededRandom.fromSeed(seed, 0x71de0, index);
  for (;;) {
    const scene = drawLayout(rng, { name: 'train-clip', width: size, height: size, frames: CLIP_VIDEO_FRAMES, fps: 2, unseenKind: 'allow' });
    const rendered = renderScene(scene);
    const start = rng.int(0, CLIP_VIDEO_FRAMES - frames);
    const candidates = scene.objects.filter((o) => rendered.visibleArea[o.id]![start]! >= MIN_OBJECT_FRACTION * size * size);
    if (candidates.length === 0) continue;
    const object = candidates[rng.int(0, candidates.length - 1)]!;
    const pixels = new Float32Array(frames * 3 * size * size);
    const targets = new Float32Array(frames * maskSize * maskSize);
    for (let t = 0; t < frames; t++) {
      pixels.set(preprocessImage(rendered.frames[start + t]!, size, 'square').pixelValues, t * 3 * size * size);
      targets.set(downsampleMask(rendered.mask(object.id, start + t), size / maskSize), t * maskSize * maskSize);
    }
    const box = jitterBox(maskBox(rendered.mask(object.id, start))!, rng, size);
    const I = VIDEO_TRAIN_INPUTS;
    return {
      [I.pixels]: tensorData('float32', [frames, 3, size, size], pixels),
      [I.points]: tensorData('float32', [1, 1, 2, 2], box),
      [I.labels]: tensorData('int64', [1, 1, 2], [...BOX_CORNERS]),
      [I.boxes]: tensorData('float32', [1, 0, 4]),
      [I.trackPoints]: tensorData('float32', [1, 1, 1, 2], [0, 0]),
      [I.trackLabels]: tensorData('int64', [1, 1, 1], [NOT_A_POINT]),
      [I.targets]: tensorData('float32', [frames, maskSize, maskSize], targets),
    };
  }
}
