/**
 * Training problems and the data order: task-homogeneous batches (RefAVS apart from VOS, as the authors'
 * GroupSampler keeps them), shuffled per epoch from the seed alone, so a resumed run sees the same order.
 */
import type { ChatMessage } from '../../../plugins/api.js';
import { SeededRandom } from '../../synth/random.js';

/** Problems of one task share a reward function and sit in the same batches. */
export type TaskName = string;

export interface TrainingProblem {
  /** Unique across the run (dataset + sample id). */
  id: string;
  task: TaskName;
  /**
   * The prompt, built when a step needs it: media (frames, audio) is decoded then and dropped after, so a run holds
   * no dataset's worth of decoded pixels and starts without decoding every sample first.
   */
  messages(): Promise<ChatMessage[]>;
  /** What the task's reward (and SFT target) needs: ground truth, frame count... */
  target: unknown;
}

export interface BatchPlan {
  /** Problem ids of each batch, in training order. */
  batches: string[][];
  epochs: number;
}

/**
 * Splits the problems by task, shuffles each task (per epoch), cuts batches of `batchSize` within a task and
 * shuffles the batch order; a task's last partial batch is dropped (as DataLoader(drop_last) keeps batches full).
 */
export function planBatches(problems: readonly TrainingProblem[], options: { batchSize: number; epochs: number; seed: number }): BatchPlan {
  const byTask = new Map<TaskName, string[]>();
  for (const p of problems) {
    const list = byTask.get(p.task) ?? [];
    list.push(p.id);
    byTask.set(p.task, list);
  }
  const batches: string[][] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const random = SeededRandom.fromSeed(options.seed, epoch, 0x6a7b);
    const epochBatches: string[][] = [];
    for (const task of [...byTask.keys()].sort()) {
      const ids = shuffle(byTask.get(task)!, random);
      for (let i = 0; i + options.batchSize <= ids.length; i += options.batchSize) epochBatches.push(ids.slice(i, i + options.batchSize));
    }
    batches.push(...shuffle(epochBatches, random));
  }
  return { batches, epochs: options.epochs };
}

function shuffle<T>(items: readonly T[], random: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Seed of the rollouts of problem `index` in batch `step` (same on resume). */
export function rolloutSeed(seed: number, step: number, index: number): number {
  let h = Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2d);
  return (h ^ (h >>> 13)) >>> 0;
}
