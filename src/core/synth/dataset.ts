import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { REFAVS_FRAME_COUNT } from '../data/refavs.js';
import { SYNTH_SAMPLE_RATE } from './audio.js';
import type { SynthExpression } from './expressions.js';
import { prepareSynthFolder, SYNTH_GENERATOR, SYNTH_MARKER_FILE } from './output-folder.js';
import { RefAvsWriter } from './refavs-writer.js';
import { RevosWriter } from './revos-writer.js';
import type { Background, SynthObject } from './scene.js';
import { splitOf, type SynthFormat } from './splits.js';
import { generateVideo } from './video.js';

/** Bumped whenever the same options would give different bytes (2: sounding objects have a white rim while they sound). */
export const SYNTH_VERSION = 2;
/** Frames per second of pseudo-time: the method samples video at 2 fps; RefAVS clips are 10 frames over 10 s. */
export const DEFAULT_SYNTH_FPS: Record<SynthFormat, number> = { revos: 2, refavs: 1 };
export const DEFAULT_SYNTH_FRAMES: Record<SynthFormat, number> = { revos: 48, refavs: REFAVS_FRAME_COUNT };
export const MIN_SYNTH_SIDE = 32;
export const MIN_SYNTH_FRAMES = 4;

export interface SynthOptions {
  format: SynthFormat;
  /** Dataset folder: created if missing; must be empty unless `force` and it holds a previous synthetic dataset. */
  out: string;
  videos: number;
  /** Default 48 (revos) or 10 (refavs, the only count its layout allows). */
  frames?: number;
  width: number;
  height: number;
  /** Default 2 (revos) or 1 (refavs). */
  fps?: number;
  seed: number;
  force?: boolean;
  onProgress?: (progress: SynthProgress) => void;
  signal?: AbortSignal;
}

export interface SynthProgress {
  /** Videos written so far, this one included. */
  done: number;
  total: number;
  video: string;
  split: string;
}

export interface SynthSummary {
  root: string;
  format: SynthFormat;
  videos: number;
  frames: number;
  width: number;
  height: number;
  fps: number;
  expressions: number;
  /** Videos and expressions per split, in split order. */
  splits: Record<string, { videos: number; expressions: number }>;
}

/** One video as `omni-synth.json` records it: the whole scene, so anything the files show can be traced back. */
export interface SynthVideoRecord {
  name: string;
  split: string;
  attempts: number;
  background: Background;
  objects: SynthObject[];
  expressions: SynthExpression[];
}

export interface SynthRecord {
  generator: typeof SYNTH_GENERATOR;
  synthVersion: number;
  complete: boolean;
  format: SynthFormat;
  seed: number;
  videos: number;
  frames: number;
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
  videoRecords: SynthVideoRecord[];
}

export function synthVideoName(seed: number, index: number): string {
  return `synth-${seed}-${String(index).padStart(4, '0')}`;
}

interface CheckedOptions {
  frames: number;
  fps: number;
}

function checkOptions(options: SynthOptions): CheckedOptions {
  const frames = options.frames ?? DEFAULT_SYNTH_FRAMES[options.format];
  const fps = options.fps ?? DEFAULT_SYNTH_FPS[options.format];
  const integerAtLeast = (value: number, min: number, flag: string, hint: string): void => {
    if (!Number.isSafeInteger(value) || value < min) throw new InputError(`--${flag} ${value} is out of range`, { hint });
  };
  integerAtLeast(options.videos, 1, 'videos', 'it must be an integer >= 1');
  integerAtLeast(options.seed, 0, 'seed', 'it must be an integer >= 0');
  integerAtLeast(frames, MIN_SYNTH_FRAMES, 'frames', `it must be an integer >= ${MIN_SYNTH_FRAMES}`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 30) throw new InputError(`--fps ${fps} is out of range`, { hint: 'it must be an integer from 1 to 30' });
  for (const [side, value] of [['width', options.width], ['height', options.height]] as const) {
    if (!Number.isInteger(value) || value < MIN_SYNTH_SIDE || value % 2 !== 0) {
      throw new InputError(`--size ${options.width}x${options.height} is too small or odd`, { hint: `the ${side} must be an even integer >= ${MIN_SYNTH_SIDE}` });
    }
  }
  if (options.format === 'refavs' && frames !== REFAVS_FRAME_COUNT) {
    throw new InputError(`--frames ${frames} does not fit the RefAVS layout`, { hint: `RefAVS clips have ${REFAVS_FRAME_COUNT} frames; drop --frames or pass --frames ${REFAVS_FRAME_COUNT}` });
  }
  return { frames, fps };
}

/**
 * Writes a synthetic omni-modal dataset: `videos` clips generated from `seed` (video i from its own stream
 * `(seed, i)`), in the ReVOS or RefAVS layout, plus `omni-synth.json` describing every scene. The same options give
 * the same bytes in every file.
 */
export async function synthesizeDataset(options: SynthOptions): Promise<SynthSummary> {
  const { frames, fps } = checkOptions(options);
  const { format, out: root, videos: total, seed, width, height } = options;
  await prepareSynthFolder(root, options.force ?? false);
  const record: SynthRecord = {
    generator: SYNTH_GENERATOR,
    synthVersion: SYNTH_VERSION,
    complete: false,
    format,
    seed,
    videos: total,
    frames,
    width,
    height,
    fps,
    sampleRate: SYNTH_SAMPLE_RATE,
    videoRecords: [],
  };
  const writeRecord = () => writeFile(join(root, SYNTH_MARKER_FILE), `${JSON.stringify(record, null, 1)}\n`);
  // Marked before anything else, so a partial output can be replaced with --force.
  await writeRecord();
  const writer = format === 'revos' ? new RevosWriter(root) : new RefAvsWriter(root);
  const splits: SynthSummary['splits'] = {};
  let expressions = 0;
  for (let index = 0; index < total; index += 1) {
    options.signal?.throwIfAborted();
    const assignment = splitOf(format, index, total);
    const name = synthVideoName(seed, index);
    const video = generateVideo({ name, seed, index, width, height, frames, fps, unseenKind: assignment.unseenKind, role: assignment.role });
    await writer.addVideo(video, assignment.split, options.signal);
    record.videoRecords.push({
      name,
      split: assignment.split,
      attempts: video.attempts,
      background: video.scene.background,
      objects: video.scene.objects,
      expressions: video.expressions,
    });
    const counts = (splits[assignment.split] ??= { videos: 0, expressions: 0 });
    counts.videos += 1;
    counts.expressions += video.expressions.length;
    expressions += video.expressions.length;
    options.onProgress?.({ done: index + 1, total, video: name, split: assignment.split });
  }
  await writer.finish();
  record.complete = true;
  await writeRecord();
  return { root, format, videos: total, frames, width, height, fps, expressions, splits };
}
