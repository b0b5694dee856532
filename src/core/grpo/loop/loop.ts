/**
 * The training loop: per step, a task-homogeneous batch of prompts goes through the rollout side (G completions
 * each, rewards) and the learner (reference log-probs, advantages, loss, one AdamW step per iteration); then
 * metrics, samples and checkpoints go to the run directory. `--objective sft` replaces the rollouts with targets
 * built from the ground truth and the loss with the completion tokens' cross-entropy.
 */
import { saveAdapter } from '../../graph/lora/index.js';
import { groupAdvantages } from '../advantages.js';
import type { RunDir } from '../run-dir.js';
import type { TrainingConfig } from './config.js';
import { float32Tensor, Learner, LOSS_INPUTS, placeRows, type LearnerObjective } from './learner.js';
import { dapoTokenNormalizer } from './objective.js';
import type { ScoringRow, TrainablePolicy } from './policy.js';
import { planBatches, type TaskName, type TrainingProblem } from './problems.js';
import { createRolloutWorker, type RewardScorer, type RolloutGroup, type RolloutResult } from './rollout.js';
import { StepMessages } from './step-messages.js';

export interface TrainProgress {
  step: number;
  totalSteps: number;
  meanReward?: number;
  loss: number;
  secondsPerStep: number;
}

export interface TrainRunOptions {
  config: TrainingConfig;
  policy: TrainablePolicy;
  problems: readonly TrainingProblem[];
  /** GRPO: the reward of each task. */
  rewards?: Readonly<Record<TaskName, RewardScorer>>;
  /** SFT: the target completion text of a problem, built from its ground truth. */
  sftTarget?: (problem: TrainingProblem) => string;
  runDir: RunDir;
  /** Continue from the run directory's last checkpoint. */
  resume?: boolean;
  /** Aborting ends the run after the current step with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  onStep?: (progress: TrainProgress) => void;
}

export interface TrainRunResult {
  steps: number;
  interrupted: boolean;
  lastCheckpoint?: string;
}

interface CheckpointExtra {
  /** Index of the next batch in the plan. */
  dataPosition: number;
  /** The rollout seeds derive from (seed, step, index): this is the whole RNG state. */
  rng: { seed: number; step: number };
}

export function totalSteps(config: TrainingConfig, problems: readonly TrainingProblem[]): number {
  const plan = planBatches(problems, { batchSize: config.batchSize, epochs: config.epochs, seed: config.seed });
  return Math.min(config.maxSteps ?? Infinity, plan.batches.length) * config.loss.numIterations;
}

export async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const { config, policy, runDir } = options;
  const problems = new Map(options.problems.map((p) => [p.id, p]));
  if (problems.size !== options.problems.length) throw new Error('runTraining: problem ids must be unique');
  const plan = planBatches(options.problems, { batchSize: config.batchSize, epochs: config.epochs, seed: config.seed });
  const batchCount = Math.min(config.maxSteps ?? Infinity, plan.batches.length);
  if (batchCount === 0) throw new Error(`runTraining: no full batch of ${config.batchSize} prompts in ${options.problems.length} problems`);
  const optimizerSteps = batchCount * config.loss.numIterations;
  const grpo = config.objective === 'grpo';
  const learner = await Learner.create(policy, {
    adapter: config.adapter,
    objective: grpo ? objectiveOf(config) : { kind: 'sft' },
    optimizer: {
      lr: config.optimizer.lr,
      weightDecay: config.optimizer.weightDecay,
      maxGradNorm: config.optimizer.maxGradNorm,
      warmupSteps: Math.ceil(config.optimizer.warmupRatio * optimizerSteps),
      totalSteps: optimizerSteps,
    },
  });
  const generator = grpo ? await policy.openGenerator(learner.parameterize) : undefined;
  try {
    let start = 0;
    if (options.resume) {
      const steps = await runDir.checkpoints();
      const last = steps.at(-1);
      if (last !== undefined) {
        const extra = (await learner.trainer.loadState(runDir.checkpointDir(last))) as unknown as CheckpointExtra;
        start = extra.dataPosition;
        await runDir.truncateAfter(last);
      } else {
        await runDir.truncateAfter(0);
      }
    }
    const prompts = new StepMessages(problems);
    const worker = generator
      ? createRolloutWorker({ policy, generator, problems: prompts.problems, rewards: options.rewards ?? {} })
      : undefined;
    let lastCheckpoint: string | undefined;
    const checkpoint = async (dataPosition: number) => {
      const step = learner.trainer.step;
      const extra: CheckpointExtra = { dataPosition, rng: { seed: config.seed, step: dataPosition } };
      lastCheckpoint = await runDir.writeCheckpoint(step, async (dir) => {
        await learner.trainer.saveState(dir, extra as unknown as Record<string, unknown>);
        if (learner.lora) await saveAdapter(dir, learner.lora, learner.parameters());
      });
    };

    for (let position = start; position < batchCount; position++) {
      const ids = plan.batches[position]!;
      const started = performance.now();
      let records: Array<Record<string, unknown>>;
      if (worker) {
        worker.syncWeights(learner.parameters());
        const rollout = await worker.rollout({ step: position, problemIds: ids, sampling: config.sampling, seed: config.seed });
        records = await learnGrpo(learner, policy, prompts.problems, rollout, config);
        prompts.nextStep();
        if (config.sampleSteps > 0 && (position + 1) % config.sampleSteps === 0) {
          await runDir.appendSamples({ step: learner.trainer.step, groups: rollout.groups.map(sampleOf) });
        }
      } else {
        records = [await learnSft(learner, policy, ids.map((id) => problems.get(id)!), options.sftTarget)];
      }
      const seconds = (performance.now() - started) / 1000;
      for (const record of records) {
        await runDir.appendMetrics(record);
        options.onStep?.({
          step: record.step as number,
          totalSteps: optimizerSteps,
          meanReward: record['reward/mean'] as number | undefined,
          loss: record.loss as number,
          secondsPerStep: seconds / records.length,
        });
      }
      const done = position + 1 === batchCount;
      const interrupted = options.signal?.aborted === true;
      if (done || interrupted || (position + 1) % config.saveSteps === 0) await checkpoint(position + 1);
      if (interrupted && !done) return { steps: learner.trainer.step, interrupted: true, lastCheckpoint };
    }
    return { steps: learner.trainer.step, interrupted: false, lastCheckpoint };
  } finally {
    await generator?.release();
    await learner.release();
  }
}

function objectiveOf(config: TrainingConfig): LearnerObjective {
  const { loss } = config;
  return {
    kind: 'grpo',
    // The authors' single on-policy step; the TRL clipped family when a batch is reused.
    type: loss.numIterations > 1 ? loss.lossType : 'omni-r1',
    beta: loss.beta,
    epsilon: loss.epsilon,
    epsilonHigh: loss.epsilonHigh,
    maxCompletionLength: config.sampling.maxNewTokens,
  };
}

/** One batch of rollouts -> advantages -> `numIterations` optimizer steps; one metrics record per step. */
async function learnGrpo(
  learner: Learner,
  policy: TrainablePolicy,
  problems: ReadonlyMap<string, TrainingProblem>,
  rollout: RolloutResult,
  config: TrainingConfig,
): Promise<Array<Record<string, unknown>>> {
  const G = config.sampling.numGenerations;
  const rewards = rollout.groups.flatMap((g) => g.rewards);
  const adv = groupAdvantages(rewards, G, config.loss.scaleRewards);
  const referenceStarted = performance.now();
  const stepTokens = rollout.groups.reduce((n, g) => n + g.completions.reduce((m, c) => m + c.tokenIds.length, 0), 0);
  const normalizer = dapoTokenNormalizer(stepTokens, rollout.groups.length);
  const micro = [];
  for (const [g, group] of rollout.groups.entries()) {
    const prompt = await policy.encodePrompt(await problems.get(group.problemId)!.messages());
    const rows: ScoringRow[] = group.completions.map((c) => ({ prompt, completion: c.tokenIds }));
    const batch = await policy.scoringFeeds(rows);
    const at = (values: (c: RolloutGroup['completions'][number]) => number[]) =>
      placeRows(
        group.completions.map((c, i) => ({ offset: batch.completionOffsets[i]!, values: values(c) })),
        batch.length,
      );
    const shape = [rows.length, batch.length];
    micro.push({
      ...batch.feeds,
      [LOSS_INPUTS.completionMask]: float32Tensor(shape, at((c) => c.tokenIds.map(() => 1))),
      ...(learner.feeds.old ? { [LOSS_INPUTS.oldLogProbs]: float32Tensor(shape, at((c) => c.logProbs)) } : {}),
      ...(learner.feeds.ref ? { [LOSS_INPUTS.refLogProbs]: float32Tensor(shape, await learner.referenceLogProbs(batch)) } : {}),
      [LOSS_INPUTS.advantages]: float32Tensor([rows.length], Float32Array.from(adv.advantages.subarray(g * G, (g + 1) * G))),
      ...(learner.feeds.normalizer ? { [LOSS_INPUTS.tokenNormalizer]: float32Tensor([], Float32Array.of(normalizer)) } : {}),
    });
  }
  const referenceSeconds = (performance.now() - referenceStarted) / 1000;
  const records: Array<Record<string, unknown>> = [];
  for (let iteration = 0; iteration < config.loss.numIterations; iteration++) {
    const learnStarted = performance.now();
    for (const feeds of micro) await learner.accumulate(feeds);
    const result = learner.applyGradients();
    const learnSeconds = (performance.now() - learnStarted) / 1000;
    const lengths = rollout.groups.flatMap((g) => g.completions.map((c) => c.tokenIds.length));
    const record: Record<string, unknown> = {
      step: result.step,
      iteration,
      loss: result.loss,
      grad_norm: result.gradNorm,
      lr: result.lr,
      ...Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, v])),
      'reward/mean': mean(rewards),
      'reward/std': std(rewards),
      ...componentMeans(rollout.groups),
      'advantage/mean': mean(Array.from(adv.advantages)),
      'advantage/std': std(Array.from(adv.advantages)),
      'advantage/zero_std_groups': adv.zeroStdGroups,
      'completion/mean_length': mean(lengths),
      'tokens/generated': rollout.generatedTokens,
      'tokens/per_second': rollout.generatedTokens / Math.max(1e-9, rollout.seconds.generate),
      'seconds/generate': iteration === 0 ? rollout.seconds.generate : 0,
      'seconds/reward': iteration === 0 ? rollout.seconds.reward : 0,
      'seconds/reference': iteration === 0 ? referenceSeconds : 0,
      'seconds/learn': learnSeconds,
      tasks: [...new Set(rollout.groups.map((g) => g.task))],
    };
    records.push(record);
  }
  return records;
}

/** SFT: the problems' ground-truth targets, cross-entropy on their tokens, one optimizer step. */
async function learnSft(
  learner: Learner,
  policy: TrainablePolicy,
  batch: readonly TrainingProblem[],
  sftTarget: TrainRunOptions['sftTarget'],
): Promise<Record<string, unknown>> {
  if (!sftTarget) throw new Error('runTraining: the sft objective needs sftTarget');
  const started = performance.now();
  let tokens = 0;
  for (const problem of batch) {
    const prompt = await policy.encodePrompt(await problem.messages());
    const completion = [...policy.encodeText(sftTarget(problem)), policy.endOfTurnId];
    tokens += completion.length;
    const scoring = await policy.scoringFeeds([{ prompt, completion }]);
    const mask = placeRows([{ offset: scoring.completionOffsets[0]!, values: completion.map(() => 1) }], scoring.length);
    await learner.accumulate({ ...scoring.feeds, [LOSS_INPUTS.completionMask]: float32Tensor([1, scoring.length], mask) });
  }
  const result = learner.applyGradients();
  const seconds = (performance.now() - started) / 1000;
  return {
    step: result.step,
    loss: result.loss,
    grad_norm: result.gradNorm,
    lr: result.lr,
    'tokens/target': tokens,
    'tokens/per_second': tokens / Math.max(1e-9, seconds),
    'seconds/learn': seconds,
    tasks: [...new Set(batch.map((p) => p.task))],
  };
}

function sampleOf(group: RolloutGroup) {
  return { problemId: group.problemId, task: group.task, completions: group.completions.map((c, i) => ({ text: c.text, reward: group.rewards[i] })) };
}

function componentMeans(groups: readonly RolloutGroup[]): Record<string, number> {
  const sums = new Map<string, number[]>();
  for (const g of groups) for (const [name, values] of Object.entries(g.components)) sums.set(name, [...(sums.get(name) ?? []), ...values]);
  return Object.fromEntries([...sums].map(([name, values]) => [`reward/${name}`, mean(values)]));
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}
