/**
 * The step loop both stages of `omni train segmenter` share: AdamW with warmup + cosine over the compiled train step,
 * resume from a checkpoint's trainer state, one metrics.jsonl line per step, checkpoints every N steps (and at the
 * end of the session), and the export of the finished run into `<out>/model`.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cosineWithWarmup, Trainer, type CompiledTrainStep, type Feeds, type StepResult, type TensorData } from 'omni-r1';
import { exportSegmenter } from '../export.js';
import { checkpointName, checkpointTensors, CHECKPOINTS_DIR, TRAINER_DIR, writeModelCheckpoint } from './checkpoint.js';
import { METRICS_FILE, MODEL_DIR, type StepRecord, type TrainSegmenterResult } from './run.js';

export interface SegmenterLoopOptions {
  compiled: CompiledTrainStep;
  /** The model's config.json, written into every checkpoint. */
  configJson: unknown;
  /** Every tensor of the model at the start; the trained ones are replaced by the trainer's values in checkpoints. */
  initial: Map<string, TensorData>;
  settings: { seed: number; steps: number; lr: number; warmupSteps: number; weightDecay: number; maxGradNorm: number };
  out: string;
  /** A checkpoint folder to continue from. */
  resumeFrom?: string;
  checkpointEvery: number;
  stopAfter?: number;
  noExport?: boolean;
  threads?: number;
  /** The micro-batches of optimizer step `step` (0-based). */
  microBatches: (step: number) => Feeds[];
  /** The progress line of a step (printed at step 1, every 10 steps and at the last). */
  progress: (result: StepResult, record: StepRecord) => string;
  log: (message: string) => void;
}

export async function runSegmenterLoop(o: SegmenterLoopOptions): Promise<TrainSegmenterResult> {
  const { settings, out, log } = o;
  const trainer = await Trainer.create(o.compiled, {
    optimizer: { lr: settings.lr, weightDecay: settings.weightDecay },
    maxGradNorm: settings.maxGradNorm,
    schedule: cosineWithWarmup({ warmupSteps: settings.warmupSteps, totalSteps: settings.steps }),
    session: o.threads === undefined ? undefined : { intraOpNumThreads: o.threads },
  });
  try {
    if (o.resumeFrom) {
      await trainer.loadState(join(o.resumeFrom, TRAINER_DIR));
      log(`resumed from ${o.resumeFrom} at step ${trainer.step}`);
    }
    const started = Date.now();
    let last = { loss: NaN };
    let checkpoint = o.resumeFrom ?? '';
    const save = async () => {
      checkpoint = join(out, CHECKPOINTS_DIR, checkpointName(trainer.step));
      await writeModelCheckpoint(checkpoint, o.configJson, checkpointTensors(o.initial, trainer.parameters()));
      await trainer.saveState(join(checkpoint, TRAINER_DIR), { seed: settings.seed });
    };
    const end = Math.min(settings.steps, o.stopAfter ?? settings.steps);
    while (trainer.step < end) {
      const stepStart = Date.now();
      const result = await trainer.trainStep(o.microBatches(trainer.step));
      const record: StepRecord = { step: result.step, loss: result.loss, lr: result.lr, grad_norm: result.gradNorm, seconds: (Date.now() - stepStart) / 1000, ...result.metrics };
      await appendFile(join(out, METRICS_FILE), `${JSON.stringify(record)}\n`);
      last = result;
      if (result.step === 1 || result.step % 10 === 0 || result.step === settings.steps) log(o.progress(result, record));
      if (result.step % o.checkpointEvery === 0 || result.step === end) await save();
    }
    if (!checkpoint) await save();
    const seconds = (Date.now() - started) / 1000;
    let model: string | undefined;
    if (!o.noExport && trainer.step === settings.steps) {
      model = join(out, MODEL_DIR);
      await exportSegmenter({ from: checkpoint, out: model, force: true, log });
    }
    return { steps: trainer.step, lastLoss: last.loss, checkpoint, model, seconds };
  } finally {
    await trainer.release();
  }
}
