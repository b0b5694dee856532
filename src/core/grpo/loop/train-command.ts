/**
 * `omni train` behind the oclif command: resolves the configuration (or reads it back with --resume), builds the
 * problems from the datasets, prints the plan (--dry-run) or trains with a progress line, Ctrl-C -> checkpoint.
 */
import { resolve } from 'node:path';
import { openMevis, openRefAvs, openRefCocog, openRevos } from '../../data/index.js';
import { InputError } from '../../errors.js';
import type { PolicyBackend, SegmenterBackend } from '../../../plugins/api.js';
import type { RewardScaling } from '../advantages.js';
import type { GrpoLossType } from '../loss.js';
import { DEFAULT_VOS_REWARD_WEIGHTS, SAM_ALPHA_THRESHOLD } from '../rewards/vos-combine.js';
import { RunDir } from '../run-dir.js';
import { groundingSftTarget, refAvsSftTarget, vosSftTarget } from '../sft/targets.js';
import type { TrainingConfig } from './config.js';
import { runTraining } from './loop.js';
import { renderPlan, trainingPlan, type PlanDataset } from './plan.js';
import type { TrainablePolicy } from './policy.js';
import type { TrainingProblem } from './problems.js';
import { GROUNDING_TASK, refCocogTrainingProblems, vosGroundingTrainingProblems, type GroundingProblemOptions, type GroundingProblemTarget } from './grounding-problems.js';
import { progressReporter } from './progress.js';
import { resumeConfig } from './resume.js';
import type { RewardScorer } from './rollout.js';
import { REFAVS_TASK, refAvsTrainingProblems, type RefAvsProblemTarget } from './refavs-problems.js';
import { groundingFor, refAvsGroundingFor, segmentationFor } from './system2.js';
import { groundingRewardScorer, refAvsRewardScorer, vosRewardScorer } from './task-rewards.js';
import { VOS_TASK, vosTrainingProblems, type VosProblemTarget } from './vos-problems.js';

/** What a policy plugin offers the command (the qwen-omni plugin's QwenTrainablePolicy). */
export interface TrainablePolicyPlugin {
  open(dir: string): Promise<TrainablePolicy>;
  estimate(dir: string, lora?: { rank: number; targets: readonly string[] }): Promise<{ description: string; parameters: number; loraParameters: number }>;
}

export interface RewardFlags {
  alphaG: number;
  alphaK: number;
  alphaKRatio: number;
  alphaA: number;
  lenControl: boolean;
  clipReward: boolean;
}

export interface TrainCommandOptions {
  datasets: Array<{ name: string; root: string }>;
  resume?: string;
  out?: string;
  objective: 'grpo' | 'sft';
  rewards: RewardFlags;
  /** `avsTemperature`: RefAVS batches' temperature (the authors' AVS_TEMPERATURE under FUSE_TEMPERATURE); default: `temperature`. */
  sampling: { numGenerations: number; temperature: number; topP: number; avsTemperature?: number };
  loss: { beta: number; numIterations: number; epsilon: number; epsilonHigh: number; lossType: string; scaleRewards: string };
  optimizer: { lr: number; weightDecay: number; maxGradNorm: number };
  adapter: { kind: 'full' } | { kind: 'lora'; rank: number; alpha: number; targets: string[] };
  saveSteps: number;
  seed: number;
  dryRun: boolean;
  from?: string;
  batchSize: number;
  epochs: number;
  maxSteps?: number;
  maxCompletionLength: number;
  maxFrames: number;
  /** VOS problems carry the video's sound (audio.wav beside the frames) as its audio track. */
  vosAudio?: boolean;
  warmupRatio: number;
  sampleSteps: number;
  /** Flags given on the command line (not defaulted): with --resume, those that change the run are refused. */
  explicitFlags?: ReadonlySet<string>;
  trainable: () => Promise<TrainablePolicyPlugin>;
  /** System 2 (grounding model) and, when `needsSegmenter` (alpha_g > 0), the segmenter. */
  openSystem2: (needsSegmenter: boolean) => Promise<{ grounding: PolicyBackend; segmenter?: SegmenterBackend; close(): Promise<void> }>;
  log: (message: string) => void;
  warn: (message: string) => void;
  write: (text: string) => void;
}

/** config.json of a run directory. */
export interface RunConfigFile {
  format: 1;
  model: string;
  datasets: Array<{ name: string; root: string }>;
  rewards: RewardFlags;
  maxFrames: number;
  /** `--vos-audio`; absent (false) in runs written before it existed. */
  vosAudio?: boolean;
  training: TrainingConfig;
}

const VOS_DATASETS: Record<string, typeof openRevos> = { revos: openRevos, mevis: openMevis };

/** Image grounding datasets (SegZero prompt and reward): refCOCOg, and single frames of a ReVOS video (issue 10). */
const GROUNDING_DATASETS: Record<string, (root: string, options: GroundingProblemOptions) => Promise<TrainingProblem[]>> = {
  refcocog: async (root, options) => refCocogTrainingProblems(await openRefCocog(root, 'train'), options),
  'revos-grounding': async (root, options) => vosGroundingTrainingProblems(await openRevos(root, 'train'), options),
};

export function resolveTrainingConfig(o: TrainCommandOptions): TrainingConfig {
  const lossType = o.loss.lossType as Exclude<GrpoLossType, 'omni-r1'>;
  return {
    objective: o.objective,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    sampling: {
      numGenerations: o.sampling.numGenerations,
      temperature: o.sampling.temperature,
      topP: o.sampling.topP,
      maxNewTokens: o.maxCompletionLength,
      // The authors' trainer samples "refavs" problems with its audio generation config (AVS_TEMPERATURE).
      ...(o.sampling.avsTemperature !== undefined ? { taskTemperature: { [REFAVS_TASK]: o.sampling.avsTemperature } } : {}),
    },
    loss: { beta: o.loss.beta, numIterations: o.loss.numIterations, epsilon: o.loss.epsilon, epsilonHigh: o.loss.epsilonHigh, lossType, scaleRewards: o.loss.scaleRewards as RewardScaling },
    optimizer: { ...o.optimizer, warmupRatio: o.warmupRatio },
    adapter: o.adapter.kind === 'full' ? { kind: 'full' } : { ...o.adapter, seed: o.seed },
    saveSteps: o.saveSteps,
    sampleSteps: o.sampleSteps,
  };
}

/** Training problems with their media (frames, first frame + audio) unless `withMedia` is false (text-only prompts). */
async function loadProblems(file: RunConfigFile, seed: number, withMedia = true): Promise<{ problems: TrainingProblem[]; plan: PlanDataset[] }> {
  const { datasets, maxFrames } = file;
  const problems: TrainingProblem[] = [];
  const plan: PlanDataset[] = [];
  for (const { name, root } of datasets) {
    const grounding = GROUNDING_DATASETS[name];
    if (grounding) {
      const found = await grounding(root, { withMedia, seed, prefix: name });
      plan.push({ name, root, problems: found.length });
      problems.push(...found);
      continue;
    }
    const open = VOS_DATASETS[name];
    if (!open && name !== 'refavs') throw new InputError(`training on --dataset ${name} is not supported yet`, { hint: `train on ${[...Object.keys(VOS_DATASETS), 'refavs', ...Object.keys(GROUNDING_DATASETS)].join(', ')}` });
    const found = open
      ? await vosTrainingProblems(await open(root, 'train'), { maxFrames, withFrames: withMedia, withAudio: file.vosAudio === true, seed, prefix: name })
      : await refAvsTrainingProblems(await openRefAvs(root, 'train'), { withMedia, prefix: name });
    plan.push({ name, root, problems: found.length });
    problems.push(...found);
  }
  return { problems, plan };
}

export async function runTrainCommand(o: TrainCommandOptions): Promise<void> {
  let file: RunConfigFile;
  let resumedSettings: string[] = [];
  if (o.resume) {
    const stored = await (await RunDir.open(o.resume)).readConfig<RunConfigFile>();
    const requested: RunConfigFile = {
      ...stored,
      model: o.from ? resolve(o.from) : stored.model,
      datasets: o.datasets.length > 0 ? o.datasets.map((d) => ({ ...d, root: resolve(d.root) })) : stored.datasets,
      rewards: o.rewards,
      maxFrames: o.maxFrames,
      vosAudio: o.vosAudio === true,
      training: resolveTrainingConfig(o),
    };
    ({ file, applied: resumedSettings } = resumeConfig(stored, requested, o.explicitFlags ?? new Set(), o.resume));
  } else {
    if (!o.from) throw new InputError('no policy checkpoint to train: --from is missing', { hint: 'pass --from <checkpoint dir>' });
    file = { format: 1, model: resolve(o.from), datasets: o.datasets.map((d) => ({ ...d, root: resolve(d.root) })), rewards: o.rewards, maxFrames: o.maxFrames, ...(o.vosAudio ? { vosAudio: true } : {}), training: resolveTrainingConfig(o) };
  }
  const config = file.training;
  const plugin = await o.trainable();
  const { problems, plan: planned } = await loadProblems(file, config.seed, !o.dryRun);
  if (o.dryRun) {
    const estimate = await plugin.estimate(file.model, config.adapter.kind === 'lora' ? config.adapter : undefined);
    o.write(renderPlan(trainingPlan(config, planned, problems, estimate), config));
    return;
  }
  if (!o.resume && !o.out) throw new InputError('no run directory: --out is missing', { hint: 'pass --out runs/<name> (or --dry-run to see the plan)' });
  const runDir = o.resume ? await RunDir.open(o.resume) : await RunDir.create(resolve(o.out!), file);
  if (resumedSettings.length > 0) {
    await runDir.writeConfig(file);
    o.log(`resume: ${resumedSettings.map((flag) => `--${flag}`).join(', ')} changed and recorded in config.json`);
  }

  const policy = await plugin.open(file.model);
  // Image grounding problems are scored on the policy's own answer; System 2 serves the VOS and RefAVS rewards.
  const needsSystem2 = config.objective === 'grpo' && problems.some((p) => p.task === VOS_TASK || p.task === REFAVS_TASK);
  const system2 = needsSystem2 ? await o.openSystem2(file.rewards.alphaG > SAM_ALPHA_THRESHOLD) : undefined;
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) return;
    o.log('\ninterrupted: writing a checkpoint after this step (Ctrl-C again to leave without one)');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const progress = progressReporter();
  try {
    const rewards: Record<string, RewardScorer> = { [GROUNDING_TASK]: groundingRewardScorer({ lenControl: file.rewards.lenControl }) };
    if (system2) {
      const { alphaG, alphaK, alphaKRatio, alphaA, clipReward, lenControl } = file.rewards;
      rewards[VOS_TASK] = vosRewardScorer({
        ground: groundingFor({ grounding: system2.grounding }),
        segment: system2.segmenter ? segmentationFor(system2.segmenter, o.warn) : undefined,
        weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG, alphaK, alphaKRatio, alphaA },
        clipReward,
        lenControl,
      });
      rewards[REFAVS_TASK] = refAvsRewardScorer({ ground: refAvsGroundingFor({ grounding: system2.grounding }), lenControl });
    }
    const result = await runTraining({
      config,
      policy,
      problems,
      rewards,
      sftTarget: sftTargetOf,
      runDir,
      resume: o.resume !== undefined,
      signal: controller.signal,
      onStep: progress.onStep,
    });
    progress.done();
    o.log(`${result.interrupted ? 'stopped' : 'finished'} at step ${result.steps}${result.lastCheckpoint ? `; checkpoint ${result.lastCheckpoint}` : ''}`);
  } finally {
    process.removeListener('SIGINT', onSigint);
    await system2?.close();
    await policy.release();
  }
}

/** The SFT target of a problem of any built-in task. */
export function sftTargetOf(problem: TrainingProblem): string {
  if (problem.task === REFAVS_TASK) return refAvsSftTarget(problem.target as RefAvsProblemTarget);
  if (problem.task === GROUNDING_TASK) return groundingSftTarget(problem.target as GroundingProblemTarget);
  return vosSftTarget(problem.target as VosProblemTarget);
}
