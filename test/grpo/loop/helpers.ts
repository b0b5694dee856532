import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TRAINING_CONFIG, type RewardScorer, type TrainablePolicy, type TrainingConfig, type TrainingProblem } from '../../../src/core/grpo/index.js';
import { QwenTrainablePolicy } from '../../../plugins/qwen-omni/src/trainable.js';
import { writeTinyThinkerCheckpoint } from '../../../plugins/qwen-omni/test/fixtures/tiny-checkpoint.js';

export interface TinyThinker {
  dir: string;
  checkpoint: string;
  open: () => Promise<TrainablePolicy>;
}

export async function tinyThinker(seed = 5): Promise<TinyThinker> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-train-'));
  const checkpoint = join(dir, 'ckpt');
  await writeTinyThinkerCheckpoint(checkpoint, { seed, numAttentionHeads: 4, numKeyValueHeads: 2 });
  // The plugin is typed against the built omni-r1 (dist) and these tests against src: the same interface, two declarations.
  return { dir, checkpoint, open: async () => (await QwenTrainablePolicy.open(checkpoint)) as unknown as TrainablePolicy };
}

/** Text-only prompts naming the moments asked for; the target holds the right moment texts. */
export function textProblems(count: number): TrainingProblem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `text-${i}`,
    task: 'moments',
    messages: async () => [{ role: 'user' as const, content: [{ type: 'text' as const, text: `Which moments show the dog? Video ${i}.` }] }],
    target: { moments: ['00:02.00', '00:04.50'] },
  }));
}

/**
 * A reward that prefers answers naming the right moments: the fraction of completion tokens that are digits or
 * ':' / '.' (the characters of "00:02.00"). Sparse for a random tiny policy (about 0.04).
 */
export function momentCharacterReward(decode: (ids: number[]) => string): RewardScorer {
  return async (_problem, completions) => {
    const score = completions.map((c) => {
      if (c.tokenIds.length === 0) return 0;
      const good = c.tokenIds.filter((id) => /^[0-9:.]+$/.test(decode([id]).trim()) && decode([id]).trim() !== '').length;
      return good / c.tokenIds.length;
    });
    return { total: score, components: { moment_chars: score } };
  };
}

export function tinyConfig(overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    ...DEFAULT_TRAINING_CONFIG,
    seed: 7,
    batchSize: 2,
    epochs: 1,
    sampling: { numGenerations: 4, temperature: 1, topP: 0.95, maxNewTokens: 6 },
    optimizer: { lr: 1e-2, weightDecay: 0.01, maxGradNorm: 5, warmupRatio: 0 },
    adapter: { kind: 'lora', rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'o_proj'], seed: 3 },
    saveSteps: 2,
    sampleSteps: 1,
    ...overrides,
  };
}

/**
 * A dense synthetic reward a tiny random policy can climb within a few steps: the fraction of completion tokens
 * from the "answer vocabulary" (ids below `cut`, about half the regular vocabulary at the start).
 */
export function answerVocabularyReward(cut = 150): RewardScorer {
  return async (_problem, completions) => {
    const score = completions.map((c) => c.tokenIds.filter((id) => id < cut).length / Math.max(1, c.tokenIds.length));
    return { total: score, components: { answer_vocabulary: score } };
  };
}
