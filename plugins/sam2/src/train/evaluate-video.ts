/**
 * Propagation J&F of a segmenter model folder with ground-truth boxes on keyframes, on held-out synthetic videos:
 * every object visible enough on a keyframe is prompted there with its exact box, the segmenter backend propagates
 * the prompts through the whole video (or, for a folder without video graphs, segments the keyframes only, as
 * `omni infer` falls back), and each object's masks on every frame are scored against the synthetic ground truth
 * with the DAVIS 2017 measures of src/core/metrics (per-frame J and F, averaged per object, then over objects).
 */
import { boundaryFMeasure, drawLayout, jaccardIndex, renderScene, SeededRandom, summarizeDavis, type DavisObjectScores } from 'omni-r1';
import type { BinaryMask, FramePrompts, FrameSource, RgbImage, SegmenterBackend } from 'omni-r1/plugin-api';
import { createSam2Backend } from '../backend.js';
import { maskBox, MIN_OBJECT_FRACTION } from './data.js';

export interface PropagationEvalOptions {
  /** Seed of the held-out videos (use one no training run uses). */
  seed: number;
  videos: number;
  /** Frames per video (default 16). */
  frames?: number;
  /** Prompted keyframes per video, spread evenly from the first frame to the last (default 4). */
  keyframes?: number;
  width?: number;
  height?: number;
  /** $OMNI_HOME for the backend (only read when the model is a store name). */
  omniHome?: string;
}

export interface PropagationEvalResult {
  /** 'propagate' when the folder has the video graphs, else 'keyframes' (masks on the keyframes only). */
  mode: 'propagate' | 'keyframes';
  videos: number;
  objects: number;
  j: number;
  f: number;
  jf: number;
  /** The same measures on the prompted keyframes alone (each object's prompted frames). */
  keyframeJf: number;
}

/** `count` frame indices spread evenly over [0, frames - 1], rounded to the nearest frame. */
export function keyframeIndices(frames: number, count: number): number[] {
  if (count >= frames) return Array.from({ length: frames }, (_, i) => i);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, k) => Math.round((k * (frames - 1)) / (count - 1)));
}

/** One held-out video: its frames and every object's ground-truth mask per frame. */
export interface HeldOutVideo {
  frames: RgbImage[];
  masks: BinaryMask[][];
  /** Pixels of each object visible per frame. */
  visibleArea: number[][];
}

export function heldOutVideo(seed: number, index: number, frames: number, width: number, height: number): HeldOutVideo {
  const scene = drawLayout(SeededRandom.fromSeed(seed, index), { name: 'held-out', width, height, frames, fps: 2, unseenKind: 'allow' });
  const rendered = renderScene(scene);
  return {
    frames: rendered.frames,
    masks: scene.objects.map((o) => Array.from({ length: frames }, (_, t) => rendered.mask(o.id, t))),
    visibleArea: scene.objects.map((o) => rendered.visibleArea[o.id]!),
  };
}

/** The keyframe box prompts of a video: object i (id i) on each keyframe where it covers MIN_OBJECT_FRACTION. */
export function keyframeBoxPrompts(video: HeldOutVideo, keyframes: readonly number[]): FramePrompts[] {
  const { width, height } = video.frames[0]!;
  return keyframes
    .map((frameIndex) => ({
      frameIndex,
      prompts: video.masks.flatMap((perFrame, objectId) =>
        video.visibleArea[objectId]![frameIndex]! >= MIN_OBJECT_FRACTION * width * height ? [{ objectId, box: maskBox(perFrame[frameIndex]!)! }] : [],
      ),
    }))
    .filter((p) => p.prompts.length > 0);
}

/** What the scoring needs of a segmenter backend. */
export type PropagatingSegmenter = Pick<SegmenterBackend, 'canPropagate' | 'propagate' | 'segmentImage'>;

export async function evaluatePropagation(modelDir: string, options: PropagationEvalOptions): Promise<PropagationEvalResult> {
  const backend = await createSam2Backend({ model: modelDir, omniHome: options.omniHome ?? modelDir, device: 'cpu', options: {}, log: () => undefined, warn: () => undefined });
  try {
    return await scorePropagation(backend, options);
  } finally {
    await backend.close();
  }
}

/** The measures of evaluatePropagation for any segmenter backend. */
export async function scorePropagation(backend: PropagatingSegmenter, options: PropagationEvalOptions): Promise<PropagationEvalResult> {
  const frames = options.frames ?? 16;
  const width = options.width ?? 256;
  const height = options.height ?? 256;
  const keyframes = keyframeIndices(frames, options.keyframes ?? 4);
  const canPropagate = backend.canPropagate && backend.propagate !== undefined;
  const tracks: DavisObjectScores[] = [];
  const keyframeTracks: DavisObjectScores[] = [];
  for (let v = 0; v < options.videos; v++) {
    const video = heldOutVideo(options.seed, v, frames, width, height);
    const prompts = keyframeBoxPrompts(video, keyframes);
    const predicted = new Map<string, BinaryMask>();
    if (canPropagate) {
      const source: FrameSource = { frameCount: frames, width, height, frame: async (i) => video.frames[i]! };
      for await (const out of backend.propagate!(source, prompts)) for (const [id, mask] of out.masks) predicted.set(`${id}/${out.frameIndex}`, mask);
    } else {
      for (const p of prompts) for (const [id, mask] of await backend.segmentImage(video.frames[p.frameIndex]!, p.prompts)) predicted.set(`${id}/${p.frameIndex}`, mask);
    }
    const empty: BinaryMask = { width, height, data: new Uint8Array(width * height) };
    const prompted = new Set(prompts.flatMap((p) => p.prompts.map((q) => q.objectId)));
    for (const objectId of prompted) {
      const track: DavisObjectScores = { j: [], f: [] };
      const atKeyframes = { j: [] as number[], f: [] as number[] };
      for (let t = 0; t < frames; t++) {
        const gt = video.masks[objectId]![t]!;
        const pred = predicted.get(`${objectId}/${t}`) ?? empty;
        const j = jaccardIndex(gt, pred);
        const f = boundaryFMeasure(gt, pred);
        (track.j as number[]).push(j);
        (track.f as number[]).push(f);
        if (prompts.some((p) => p.frameIndex === t && p.prompts.some((q) => q.objectId === objectId))) {
          atKeyframes.j.push(j);
          atKeyframes.f.push(f);
        }
      }
      tracks.push(track);
      keyframeTracks.push(atKeyframes);
    }
  }
  const summary = tracks.length ? summarizeDavis(tracks) : undefined;
  return {
    mode: canPropagate ? 'propagate' : 'keyframes',
    videos: options.videos,
    objects: tracks.length,
    j: summary?.j.mean ?? 0,
    f: summary?.f.mean ?? 0,
    jf: summary?.jAndFMean ?? 0,
    keyframeJf: keyframeTracks.length ? summarizeDavis(keyframeTracks).jAndFMean : 0,
  };
}
