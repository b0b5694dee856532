/**
 * Reward scorers of the built-in tasks, composed exactly from the grpo reward functions as the authors' registry
 * sums them: format + accuracy (+ the length bonus with --len-control). The segmenter is reached only through
 * vosRewards, which calls it once per group and only when alpha_g > 1e-6.
 */
import type { Box } from '../../../plugins/api.js';
import { formatReward } from '../rewards/format.js';
import { lengthBonus } from '../rewards/length.js';
import { refAvsRewards, type GroundRefAvs } from '../rewards/refavs.js';
import { segZeroReward, type SegZeroSample } from '../rewards/segzero.js';
import type { VosRewardWeights } from '../rewards/vos-combine.js';
import { vosRewards, type GroundKeyframes, type SegmentRollouts, type VosTarget } from '../rewards/vos.js';
import type { GeneratedCompletion } from './policy.js';
import type { TrainingProblem } from './problems.js';
import type { RewardScorer, ScoredGroup } from './rollout.js';

export interface VosScorerOptions {
  /** System 2 on the problem's frames. */
  ground: (problem: TrainingProblem) => GroundKeyframes;
  /** The segmenter on the problem's frames; needed when alpha_g > 0. */
  segment?: (problem: TrainingProblem) => SegmentRollouts;
  weights: VosRewardWeights;
  clipReward: boolean;
  lenControl: boolean;
}

/** VOS problems carry a `VosTarget` (vosTarget(masks)) as their target. */
export function vosRewardScorer(options: VosScorerOptions): RewardScorer {
  return async (problem, completions) => {
    const texts = completions.map((c) => c.text);
    const results = await vosRewards(texts, problem.target as VosTarget, {
      ground: options.ground(problem),
      segment: options.segment?.(problem),
      weights: options.weights,
      clipReward: options.clipReward,
    });
    const parts: Record<string, number[]> = {};
    const names = ['structure', 'totalFrameReward', 'totalOverlapReward', 'avgRatio', 'avgIou', 'objectNumMismatch', 'samIou'] as const;
    for (const name of names) parts[`vos/${name}`] = results.map((r) => r.parts[name] ?? 0);
    return combine(completions, texts.map(formatReward), results.map((r) => r.reward), options.lenControl, parts);
  };
}

/** RefAVS problems carry `{ box }`, the ground-truth box of the first frame. */
export function refAvsRewardScorer(options: { ground: (problem: TrainingProblem) => GroundRefAvs; lenControl: boolean }): RewardScorer {
  return async (problem, completions) => {
    const texts = completions.map((c) => c.text);
    const { box } = problem.target as { box: Box };
    const accuracy = await refAvsRewards(texts, box, options.ground(problem));
    return combine(completions, texts.map(formatReward), accuracy, options.lenControl, {});
  };
}

/** Image grounding (SegZero) problems carry a `SegZeroSample`; the policy's own answer is scored, no System 2. */
export function groundingRewardScorer(options: { lenControl: boolean }): RewardScorer {
  return async (problem, completions) => {
    const texts = completions.map((c) => c.text);
    const sample = problem.target as SegZeroSample;
    const results = texts.map((t) => segZeroReward(t, sample));
    const parts = { 'segzero/iou': results.map((r) => r.iou), 'segzero/format': results.map((r) => r.format) };
    return combine(completions, texts.map(formatReward), results.map((r) => r.reward), options.lenControl, parts);
  };
}

function combine(
  completions: readonly GeneratedCompletion[],
  format: number[],
  accuracy: number[],
  lenControl: boolean,
  parts: Record<string, number[]>,
): ScoredGroup {
  const length = lenControl ? lengthBonus(accuracy, completions.map((c) => c.tokenIds.length)) : accuracy.map(() => 0);
  const total = format.map((f, i) => f + accuracy[i]! + length[i]!);
  return { total, components: { format, accuracy, length, ...parts } };
}
