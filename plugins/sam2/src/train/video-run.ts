/**
 * `omni train segmenter --stage video`: the memory path of a nano SAM2 trained on synthetic clips, starting from an
 * image-stage checkpoint (`--from`: its run folder or a checkpoint folder). The run folder has the image stage's
 * layout; its config.json and checkpoints are model_type `sam2_video`, so `omni export segmenter` writes the video
 * graphs and the backend propagates.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileTrainStep, InputError } from 'omni-r1';
import { loadSam2Config } from '../config.js';
import { readVideoConfig } from '../video/video-config.js';
import { Sam2Weights } from '../weights.js';
import { checkpointFolder, latestCheckpoint, readCheckpointTensors, warmStart } from './checkpoint.js';
import { initSam2Weights, sam2TensorSpecs, sam2VideoTensorSpecs } from './init-weights.js';
import { nanoSam2VideoConfig, type Sam2ConfigJson } from './nano-config.js';
import { RUN_FILE, type SegmenterStageOptions, type TrainSegmenterResult } from './run.js';
import { runSegmenterLoop } from './loop.js';
import { trainingClip } from './video-data.js';
import { buildVideoTrainGraph } from './video-train-graph.js';

export interface TrainVideoStageOptions extends SegmenterStageOptions {
  /** The image stage: a run folder (its newest checkpoint) or a checkpoint folder (config.json + model.safetensors). */
  from: string;
  /** Start the memory modules from this video-stage run or checkpoint (e.g. one trained at another input size) instead of fresh. */
  memoryFrom?: string;
  /** Frames per training clip (2 or more). */
  frames?: number;
  /** Clips per optimizer step. */
  batch?: number;
}

export interface VideoRunSettings {
  stage: 'video';
  from: string;
  memoryFrom?: string;
  seed: number;
  steps: number;
  frames: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
}

export const DEFAULT_VIDEO_FRAMES = 3;
export const DEFAULT_VIDEO_BATCH = 4;
export const DEFAULT_VIDEO_LR = 3e-4;

export async function trainVideoStage(options: TrainVideoStageOptions): Promise<TrainSegmenterResult> {
  const log = options.log ?? (() => undefined);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const resumeFrom = await latestCheckpoint(out);
  const source = await checkpointFolder(options.from);
  const imageJson = JSON.parse(await readFile(join(source, 'config.json'), 'utf8')) as Sam2ConfigJson;
  const configJson = resumeFrom ? (JSON.parse(await readFile(join(resumeFrom, 'config.json'), 'utf8')) as Sam2ConfigJson) : nanoSam2VideoConfig({ ...imageJson, model_type: 'sam2' });
  const settings: VideoRunSettings = {
    stage: 'video',
    from: source,
    memoryFrom: options.memoryFrom === undefined ? undefined : await checkpointFolder(options.memoryFrom, '--memory-from'),
    seed: options.seed,
    steps: options.steps,
    frames: options.frames ?? DEFAULT_VIDEO_FRAMES,
    batch: options.batch ?? DEFAULT_VIDEO_BATCH,
    lr: options.lr ?? DEFAULT_VIDEO_LR,
    warmupSteps: options.warmupSteps ?? Math.min(50, Math.ceil(options.steps / 20)),
    weightDecay: options.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? 1,
  };
  if (!Number.isInteger(settings.frames) || settings.frames < 2) throw new InputError(`--frames must be 2 or more, got ${settings.frames}`, { hint: 'pass --frames 3' });
  await writeFile(join(out, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeFile(join(out, RUN_FILE), `${JSON.stringify(settings, null, 2)}\n`);
  const config = await loadSam2Config(out);
  const video = readVideoConfig(config, join(out, 'config.json'));
  const size = config.promptEncoder.imageSize;

  // The image stage's weights (every image tensor must be there); memory modules fresh, or from --memory-from.
  const videoSpecs = sam2VideoTensorSpecs(config, video);
  const memoryNames = new Set(videoSpecs.map(([name]) => name));
  const initial = initSam2Weights(config, settings.seed, [...sam2TensorSpecs(config), ...videoSpecs]);
  warmStart(initial, await readCheckpointTensors(source), source, memoryNames);
  if (settings.memoryFrom) {
    const memory = new Map([...initial].filter(([name]) => memoryNames.has(name)));
    warmStart(memory, await readCheckpointTensors(settings.memoryFrom), settings.memoryFrom);
    for (const [name, t] of memory) initial.set(name, t);
  }

  const built = buildVideoTrainGraph(config, video, Sam2Weights.fromMap(`${source} (+ fresh memory modules)`, initial), settings.frames);
  const compiled = compileTrainStep(built.graph, { loss: built.terms.loss, metrics: built.terms.metrics, trainable: built.trainable });
  return runSegmenterLoop({
    compiled,
    configJson,
    initial,
    settings,
    out,
    resumeFrom,
    checkpointEvery: options.checkpointEvery ?? 100,
    stopAfter: options.stopAfter,
    noExport: options.noExport,
    threads: options.threads,
    microBatches: (step) => Array.from({ length: settings.batch }, (_, k) => trainingClip(settings.seed, step * settings.batch + k, settings.frames, size, built.maskSize)),
    progress: (result, record) =>
      `video step ${result.step}/${settings.steps} loss ${result.loss.toFixed(4)} mask_iou ${(result.metrics.mask_iou ?? NaN).toFixed(3)} ${record.seconds.toFixed(2)}s/step`,
    log,
  });
}
