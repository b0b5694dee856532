/**
 * `omni eval` without --predictions: each item of the split goes through `infer()` (System 1 on the item's frames, with
 * the audio for RefAVS; question = the expression; System 2 grounding; the segmenter over every frame), its masks are
 * written as prediction PNGs in the layout `evaluate` reads, and then the item is scored. Prediction folders appear
 * atomically (written aside, then renamed), so a killed run re-predicts at most the item in flight; items already in
 * per_item.jsonl are skipped by `evaluate` itself.
 */
import { copyFile, link, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { BinaryMask, DatasetItem, PolicyBackend, SegmenterBackend } from '../../plugins/api.js';
import type { RefAvsItem, VosExpressionItem } from '../data/types.js';
import { requireVosAudio } from '../data/vos-audio.js';
import { InputError } from '../errors.js';
import { listFrameFiles } from '../media/frame-source.js';
import { encodeBinaryMaskPng } from '../media/mask-png.js';
import { decodeCocoRle, type CocoRle } from '../metrics/rle.js';
import { infer, type InferOptions } from '../pipeline/infer.js';
import type { InferTask } from '../pipeline/prompts.js';
import type { InferResult } from '../pipeline/result.js';
import { evaluate } from './evaluate.js';
import { itemFile } from './prediction-paths.js';
import type { EvalSummary, EvaluateOptions, ItemInference, ItemPrediction } from './types.js';

/** `<out>/predictions/`: where the models' masks go. */
export const PREDICTIONS_FOLDER = 'predictions';

/** The `infer()` settings of an evaluation run; the video, question, task and output are per item. */
export type ModelRunOptions = Omit<InferOptions, 'segment' | 'task' | 'out' | 'rle' | 'audioFile' | 'onMasks' | 'onStage' | 'onToken'> & {
  policy: PolicyBackend;
  segmenter: SegmenterBackend;
};

export interface EvaluateWithModelsOptions extends Omit<EvaluateOptions, 'predictions' | 'predict' | 'predictedBy'> {
  models: ModelRunOptions;
  /** Names the models in the report header, so a resume with other models is refused. */
  modelsLabel: string;
  /** VOS items (revos, mevis) give System 1 the video's sound too (`--vos-audio`); their audio.wav must exist. */
  vosAudio?: boolean;
  /** Called when an item starts inference (for progress lines). */
  onItem?: (item: DatasetItem) => void;
}

/** What infer() needs to read one item: frames (a folder), optional audio, the task, and where each frame's mask goes. */
interface ItemInput {
  frames: string[];
  audio?: string;
  /** The expression. */
  question: string;
  task: InferTask;
  /** Prediction folder of the item and the PNG name of each frame, in frame order. */
  folder: string[];
  pngNames: string[];
}

function itemInput(item: DatasetItem, vosAudio: boolean): ItemInput {
  if (item.kind === 'vos-expression') {
    const vos = item as unknown as VosExpressionItem;
    const audio = vosAudio ? { audio: requireVosAudio(vos) } : {};
    return { frames: vos.framePaths, question: vos.exp, ...audio, task: 'vos', folder: vos.id.split('/'), pngNames: vos.frameNames.map((name) => `${name}.png`) };
  }
  if (item.kind === 'refavs') {
    const refavs = item as unknown as RefAvsItem;
    // The <uid>/<i>.png layout: one folder per expression (several expressions can share a vid and fid).
    return { frames: refavs.framePaths, question: refavs.exp, audio: refavs.audioPath, task: 'refavs', folder: [refavs.uid], pngNames: refavs.framePaths.map((_, i) => `${i}.png`) };
  }
  throw new InputError(`omni eval can run models only on video datasets (revos, mevis, refavs); item ${item.id} is a ${item.kind} item`, {
    hint: 'write the predictions yourself and pass --predictions <dir>',
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder whose frames, in the order infer() reads them (natural sort), are exactly `frames`: their own folder when it
 * holds just those, else a scratch folder of numbered hard links or copies (MeViS-style metadata may list a subset of a
 * folder; the frame lister takes regular files only, so no symlinks).
 */
async function frameFolder(frames: readonly string[], scratch: string): Promise<string> {
  const own = dirname(frames[0]);
  const listed = await listFrameFiles(own);
  if (listed.length === frames.length && listed.every((file, i) => resolve(file) === resolve(frames[i]))) return own;
  const folder = join(scratch, 'frames');
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const digits = String(frames.length).length;
  await Promise.all(
    frames.map(async (file, i) => {
      const numbered = join(folder, `${String(i).padStart(digits, '0')}${extname(file)}`);
      await link(file, numbered).catch(() => copyFile(file, numbered));
    }),
  );
  return folder;
}

/** Union of all objects' masks per frame (the evaluators score the union against the union of the referred objects). */
function unionMasks(masks: ReadonlyMap<number, ReadonlyMap<number, CocoRle>>, frameCount: number, width: number, height: number): BinaryMask[] {
  return Array.from({ length: frameCount }, (_, frameIndex) => {
    const union: BinaryMask = { width, height, data: new Uint8Array(width * height) };
    for (const rle of masks.get(frameIndex)?.values() ?? []) {
      const mask = decodeCocoRle(rle);
      for (let i = 0; i < union.data.length; i += 1) if (mask.data[i]) union.data[i] = 1;
    }
    return union;
  });
}

/** The record's summary of an infer() result: moments, and the boxes of each grounded keyframe. */
export function itemInference(result: InferResult): ItemInference {
  return {
    status: result.status,
    moments: (result.answer?.moments ?? []).map((m) => ({ start: m.startTime, end: m.endTime, description: m.description })),
    keyframes: result.keyframes.map((k) => ({ frame: k.frame, description: k.description, boxes: k.boxes.map((b) => b.box) })),
  };
}

/**
 * Runs the models on one item and writes `<predictions>/<item folder>/<frame>.png` (0 background, 255 object; every
 * frame, empty where nothing was segmented). Returns the warnings and what the models answered, for the item's
 * record; does nothing (no warnings, no answer) when the item's folder already exists.
 */
export async function predictItem(item: DatasetItem, predictions: string, models: ModelRunOptions, options: { vosAudio?: boolean } = {}): Promise<ItemPrediction> {
  const input = itemInput(item, options.vosAudio === true);
  const target = itemFile(predictions, ...input.folder);
  if (await exists(target)) return { warnings: [] };
  const { width, height } = item as unknown as { width: number; height: number };
  await mkdir(dirname(target), { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'omni-eval-item-'));
  const warnings: string[] = [];
  try {
    let masks: ReadonlyMap<number, ReadonlyMap<number, CocoRle>> = new Map();
    const result = await infer(await frameFolder(input.frames, scratch), input.question, {
      ...models,
      task: input.task,
      audioFile: input.audio,
      segment: true,
      warn: (message) => {
        warnings.push(message);
        models.warn?.(`${item.id}: ${message}`);
      },
      onMasks: (found) => {
        masks = found;
      },
    });
    const pending = join(dirname(target), `.pending-${process.pid}-${input.folder[input.folder.length - 1]}`);
    await rm(pending, { recursive: true, force: true });
    await mkdir(pending);
    const frames = unionMasks(masks, input.pngNames.length, width, height);
    await Promise.all(frames.map((mask, i) => writeFile(join(pending, input.pngNames[i]), encodeBinaryMaskPng(mask))));
    await rename(pending, target);
    const status = result.status === 'complete' ? [] : [`inference ${result.status}${result.segmentation.reason ? ` (${result.segmentation.reason})` : ''}: unsegmented frames are scored as empty masks`];
    return { warnings: [...status, ...warnings.map((warning) => `inference: ${warning}`)], inference: itemInference(result) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs the models over the split (see the file comment) and scores their predictions into `options.out`. */
export async function evaluateWithModels(options: EvaluateWithModelsOptions): Promise<EvalSummary> {
  const { models, modelsLabel, onItem, vosAudio, ...rest } = options;
  const predictions = join(resolve(options.out), PREDICTIONS_FOLDER);
  await mkdir(predictions, { recursive: true });
  return evaluate({
    ...rest,
    predictions,
    predictedBy: modelsLabel,
    predict: (item) => {
      onItem?.(item);
      return predictItem(item, predictions, models, { vosAudio });
    },
  });
}
