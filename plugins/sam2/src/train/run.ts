/**
 * `omni train segmenter`: supervised box -> mask training of a nano SAM2 on synthetic frames with the graph engine.
 * A run folder holds config.json (the model), run.json (the run's settings), metrics.jsonl (one line per step),
 * checkpoints/step-N/ (transformers checkpoint + trainer state) and, at the end, model/ (the exported segmenter).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileTrainStep, InputError } from 'omni-r1';
import { loadSam2Config } from '../config.js';
import { Sam2Weights } from '../weights.js';
import { checkpointFolder, latestCheckpoint, readCheckpointTensors, TRAINER_DIR, warmStart } from './checkpoint.js';
import { trainingBatch } from './data.js';
import { initSam2Weights } from './init-weights.js';
import { nanoSam2Config, NANO_DEFAULT_IMAGE_SIZE } from './nano-config.js';
import { runSegmenterLoop } from './loop.js';
import { buildImageTrainGraph } from './train-graph.js';

/** The options both stages of `omni train segmenter` take: the run folder, the schedule and the step loop's. */
export interface SegmenterStageOptions {
  out: string;
  steps: number;
  seed: number;
  lr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  checkpointEvery?: number;
  /** End this session once the run has taken this many steps (the schedule still runs to `steps`); resume later. */
  stopAfter?: number;
  /** Skip the final export into `<out>/model`. */
  noExport?: boolean;
  /** onnxruntime intra-op threads of the training session (default: onnxruntime's choice, all cores). */
  threads?: number;
  log?: (message: string) => void;
}

export interface TrainSegmenterOptions extends SegmenterStageOptions {
  /** A run folder to continue from (its newest checkpoint); may be `out` itself. */
  resume?: string;
  /**
   * Start from this run's newest checkpoint (or this checkpoint folder) instead of fresh weights, with a new
   * optimizer and schedule; it may be of another input size (the position embedding is resampled, see `warmStart`).
   */
  from?: string;
  imageSize?: number;
  /** Images per optimizer step. */
  batch?: number;
  /** Prompted objects per image (each with its own prompt and target). */
  objects?: number;
  /** Probability that an object is prompted with one click instead of its box. */
  clickProbability?: number;
}

export interface RunSettings {
  /** The checkpoint the weights started from (absent: fresh weights of `seed`). */
  from?: string;
  seed: number;
  steps: number;
  imageSize: number;
  batch: number;
  objects: number;
  clickProbability: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
}

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  seconds: number;
  [metric: string]: number;
}

export interface TrainSegmenterResult {
  steps: number;
  lastLoss: number;
  checkpoint: string;
  model?: string;
  seconds: number;
}

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const MODEL_DIR = 'model';

/** The recipe's defaults (see docs/nano.md, "Nano SAM2", for the runs that chose them). */
export const DEFAULT_BATCH = 8;
export const DEFAULT_OBJECTS = 4;
export const DEFAULT_CLICK_PROBABILITY = 0;
export const DEFAULT_LR = 1e-3;

function settingsOf(options: TrainSegmenterOptions, previous?: RunSettings): RunSettings {
  return {
    from: previous ? previous.from : options.from,
    seed: options.seed,
    steps: options.steps,
    imageSize: previous?.imageSize ?? options.imageSize ?? NANO_DEFAULT_IMAGE_SIZE,
    batch: options.batch ?? previous?.batch ?? DEFAULT_BATCH,
    objects: options.objects ?? previous?.objects ?? DEFAULT_OBJECTS,
    clickProbability: options.clickProbability ?? previous?.clickProbability ?? DEFAULT_CLICK_PROBABILITY,
    lr: options.lr ?? previous?.lr ?? DEFAULT_LR,
    warmupSteps: options.warmupSteps ?? previous?.warmupSteps ?? Math.min(100, Math.ceil(options.steps / 20)),
    weightDecay: options.weightDecay ?? previous?.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? previous?.maxGradNorm ?? 1,
  };
}

function check(options: TrainSegmenterOptions): void {
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InputError(`--${name} must be a positive whole number, got ${v}`, { hint: `pass --${name} N` });
  };
  positive('steps', options.steps);
  positive('batch', options.batch);
  positive('checkpoint-every', options.checkpointEvery);
  positive('stop-after', options.stopAfter);
  positive('objects', options.objects);
  positive('threads', options.threads);
  const p = options.clickProbability;
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new InputError(`--click-probability must be within [0, 1], got ${p}`, { hint: 'pass --click-probability 0' });
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new InputError(`--seed must be a non-negative whole number, got ${options.seed}`, { hint: 'pass --seed 0' });
}

export async function trainSegmenter(options: TrainSegmenterOptions): Promise<TrainSegmenterResult> {
  check(options);
  const log = options.log ?? (() => undefined);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const resumeFrom = options.resume ? await latestCheckpoint(resolve(options.resume)) : undefined;
  if (options.resume && !resumeFrom) {
    throw new InputError(`--resume ${options.resume} has no complete checkpoint (checkpoints/step-N/${TRAINER_DIR}/trainer_state.json)`, {
      file: options.resume,
      hint: 'give the --out folder of an earlier run that wrote a checkpoint',
    });
  }
  const previous = resumeFrom ? (JSON.parse(await readFile(join(resumeFrom, '..', '..', RUN_FILE), 'utf8').catch(() => 'null')) as RunSettings | null) : null;
  if (options.from && options.resume) throw new InputError('--from and --resume cannot be combined: a resumed run keeps the weights it started from', { hint: 'drop --from when resuming' });
  const settings = settingsOf(options, previous ?? undefined);
  if (options.from && !resumeFrom) settings.from = await checkpointFolder(options.from);
  const configJson = resumeFrom
    ? (JSON.parse(await readFile(join(resumeFrom, 'config.json'), 'utf8')) as unknown)
    : nanoSam2Config({ imageSize: settings.imageSize });
  await writeFile(join(out, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeFile(join(out, RUN_FILE), `${JSON.stringify(settings, null, 2)}\n`);
  const config = await loadSam2Config(out);
  settings.imageSize = config.promptEncoder.imageSize;

  const initial = initSam2Weights(config, settings.seed);
  if (settings.from) warmStart(initial, await readCheckpointTensors(settings.from), settings.from);
  const built = buildImageTrainGraph(config, Sam2Weights.fromMap('nano-sam2 (initial weights)', initial));
  const compiled = compileTrainStep(built.graph, { loss: built.terms.loss, metrics: built.terms.metrics, trainable: built.trainable });
  return runSegmenterLoop({
    compiled,
    configJson,
    initial,
    settings,
    out,
    resumeFrom,
    checkpointEvery: options.checkpointEvery ?? 500,
    stopAfter: options.stopAfter,
    noExport: options.noExport,
    threads: options.threads,
    microBatches: (step) => [
      trainingBatch(settings.seed, step * settings.batch, settings.batch, settings.imageSize, built.maskSize, {
        objects: settings.objects,
        clickProbability: settings.clickProbability,
      }),
    ],
    progress: (result, record) =>
      `step ${result.step}/${settings.steps} loss ${result.loss.toFixed(4)} mask_iou ${(result.metrics.mask_iou ?? NaN).toFixed(3)} lr ${result.lr.toExponential(2)} ${record.seconds.toFixed(2)}s/step`,
    log,
  });
}
