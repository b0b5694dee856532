/**
 * The rollout side of the seam: generation and rewards for a batch of problems. Requests and results are plain
 * JSON (problem ids, sampling settings, seeds in; token ids, texts, log-probs, rewards out), so this side can
 * later run as a separate worker; the trained weights reach it through `syncWeights`, as TRL syncs vLLM.
 */
import type { TensorData } from '../../graph/tensor-data.js';
import type { GeneratedCompletion, PolicyGenerator, TrainablePolicy } from './policy.js';
import { rolloutSeed, type TaskName, type TrainingProblem } from './problems.js';

export interface SamplingSettings {
  numGenerations: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Per-task temperature (e.g. RefAVS with FUSE_TEMPERATURE). */
  taskTemperature?: Record<TaskName, number>;
}

export interface RolloutRequest {
  step: number;
  problemIds: string[];
  sampling: SamplingSettings;
  seed: number;
}

export interface RolloutCompletion {
  tokenIds: number[];
  text: string;
  logProbs: number[];
}

export interface RolloutGroup {
  problemId: string;
  task: TaskName;
  completions: RolloutCompletion[];
  /** Total reward per completion. */
  rewards: number[];
  /** Each reward component per completion (format, accuracy, its parts...). */
  components: Record<string, number[]>;
}

export interface RolloutResult {
  step: number;
  groups: RolloutGroup[];
  seconds: { generate: number; reward: number };
  generatedTokens: number;
}

export interface ScoredGroup {
  total: number[];
  components: Record<string, number[]>;
}

/** Rewards of one problem's G completions (all of them in one call, so a segmenter can batch the group). */
export type RewardScorer = (problem: TrainingProblem, completions: readonly GeneratedCompletion[]) => Promise<ScoredGroup>;

export interface RolloutWorker {
  syncWeights(parameters: ReadonlyMap<string, TensorData>): void;
  rollout(request: RolloutRequest): Promise<RolloutResult>;
}

export interface RolloutWorkerOptions {
  policy: TrainablePolicy;
  generator: PolicyGenerator;
  problems: ReadonlyMap<string, TrainingProblem>;
  /** Reward of each task. */
  rewards: Readonly<Record<TaskName, RewardScorer>>;
}

export function createRolloutWorker(options: RolloutWorkerOptions): RolloutWorker {
  let weights: ReadonlyMap<string, TensorData> = new Map();
  return {
    syncWeights(parameters) {
      weights = parameters;
    },
    async rollout(request) {
      const groups: RolloutGroup[] = [];
      let generateMs = 0;
      let rewardMs = 0;
      let generatedTokens = 0;
      for (const [index, id] of request.problemIds.entries()) {
        const problem = options.problems.get(id);
        if (!problem) throw new Error(`rollout: unknown problem ${id}`);
        const scorer = options.rewards[problem.task];
        if (!scorer) throw new Error(`rollout: no reward function for task ${problem.task}`);
        const started = performance.now();
        // Encoded anew each step, not cached for the run: a prompt with media holds its embeddings (tens of MB for
        // 24 frames at 7B), and a cache over every problem would grow with the dataset.
        const prompt = await options.policy.encodePrompt(await problem.messages());
        const { sampling } = request;
        const completions = await options.generator.generate(prompt, weights, {
          numSamples: sampling.numGenerations,
          maxNewTokens: sampling.maxNewTokens,
          temperature: sampling.taskTemperature?.[problem.task] ?? sampling.temperature,
          topP: sampling.topP,
          seed: rolloutSeed(request.seed, request.step, index),
        });
        const generated = performance.now();
        const scored = await scorer(problem, completions);
        rewardMs += performance.now() - generated;
        generateMs += generated - started;
        generatedTokens += completions.reduce((n, c) => n + c.tokenIds.length, 0);
        groups.push({
          problemId: id,
          task: problem.task,
          completions: completions.map(({ tokenIds, text, logProbs }) => ({ tokenIds, text, logProbs })),
          rewards: scored.total,
          components: scored.components,
        });
      }
      return { step: request.step, groups, seconds: { generate: generateMs / 1000, reward: rewardMs / 1000 }, generatedTokens };
    },
  };
}
