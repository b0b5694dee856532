/**
 * The VOS accuracy reward of a batch of rollouts on one video (`vos_reward` in the authors' reward.py):
 * keyframes from System 1's answer, one batched System-2 grounding call for every rollout's keyframes, one
 * batched segmenter call for every rollout with a usable box (only when alpha_g > 1e-6), then `handle_rewards`.
 * System 2 and the segmenter are injected, so the training loop decides how to batch and where they run.
 */
import type { BinaryMask } from '../../../plugins/api.js';
import { maskBox } from '../../data/masks.js';
import { rewardAnswer } from '../python.js';
import { keyframeReward, type KeyframeOutcome, type KeyframeTarget } from './keyframes.js';
import { samMaskIou } from './sam-iou.js';
import { combineVosReward, DEFAULT_VOS_REWARD_WEIGHTS, SAM_ALPHA_THRESHOLD, type VosRewardParts, type VosRewardWeights } from './vos-combine.js';
import { groundingReward, type GroundingOutcome, type GroundingReply, type GroundingTarget, type SamBoxPrompt } from './vos-grounding.js';

export type VosMasks = ReadonlyArray<ReadonlyArray<BinaryMask>>;

/**
 * Ground truth of one VOS sample: the selected objects (at most 3) on the F sampled frames. The keyframe and box
 * terms need only the pixel counts and boxes; the masks themselves are read again when the mask term (R_G) needs
 * them, so a training set of thousands of samples does not hold every sampled frame's masks.
 */
export interface VosTarget extends KeyframeTarget, GroundingTarget {
  /** `[object][frame]` masks at the original resolution. */
  masks(): Promise<VosMasks>;
}

function foregroundPixels(mask: BinaryMask): number {
  let pixels = 0;
  for (const v of mask.data) if (v !== 0) pixels += 1;
  return pixels;
}

/**
 * The target of one sample from its `[object][frame]` masks (pixel counts and boxes derived as the authors do).
 * With `reload`, the target keeps only that function and calls it when the masks are needed (it must give the
 * same masks); without, it keeps `masks`.
 */
export function vosTarget(masks: VosMasks, reload?: () => Promise<VosMasks>): VosTarget {
  if (masks.length === 0) throw new Error('vosTarget: a VOS sample needs at least one object');
  const frameCount = masks[0]!.length;
  if (masks.some((frames) => frames.length !== frameCount)) throw new Error('vosTarget: every object needs a mask on every sampled frame');
  return {
    frameCount,
    masks: reload ?? (() => Promise.resolve(masks)),
    objectPixels: masks.map((frames) => frames.map(foregroundPixels)),
    objectBoxes: masks.map((frames) => frames.map(maskBox)),
  };
}

/** One keyframe System 2 must ground; the prompt is the pipeline's `renderGroundingPrompt(description, style)` on frame `frameIndex`. */
export interface GroundingRequest {
  rollout: number;
  keyframe: number;
  frameIndex: number;
  description: string;
}

/** Runs System 2 on every request (one batch); replies in request order. */
export type GroundKeyframes = (requests: readonly GroundingRequest[]) => Promise<GroundingReply[]>;

/** The boxes of one rollout, each to be propagated as its own object over the F sampled frames. */
export interface SegmentationRequest {
  rollout: number;
  prompts: SamBoxPrompt[];
}

/**
 * Runs the segmenter on every request (one batch). Per request, per prompt, per sampled frame: the propagated
 * mask (null where there is none). Null as a whole when the segmenter failed (the authors then keep only the
 * keyframe terms of those rollouts).
 */
export type SegmentRollouts = (requests: readonly SegmentationRequest[]) => Promise<Array<Array<Array<BinaryMask | null>>> | null>;

export interface VosRewardOptions {
  ground: GroundKeyframes;
  /** Required when weights.alphaG > 1e-6; never called otherwise. */
  segment?: SegmentRollouts;
  weights?: VosRewardWeights;
  /** CLIP_REWARD=1. */
  clipReward?: boolean;
}

export interface VosRolloutReward {
  /** The accuracy reward. */
  reward: number;
  parts: VosRewardParts;
  keyframes: KeyframeOutcome;
  grounding?: GroundingOutcome;
}

/** Accuracy rewards of `completions` (System 1's full texts) on one VOS sample. */
export async function vosRewards(completions: readonly string[], target: VosTarget, options: VosRewardOptions): Promise<VosRolloutReward[]> {
  const weights = options.weights ?? DEFAULT_VOS_REWARD_WEIGHTS;
  const outcomes = completions.map((completion) => keyframeReward(rewardAnswer(completion), target));

  const requests: GroundingRequest[] = [];
  outcomes.forEach((outcome, rollout) => {
    const keyframes = outcome.keyframes;
    if (!keyframes) return;
    keyframes.groundingIndices.forEach((frameIndex, keyframe) =>
      requests.push({ rollout, keyframe, frameIndex, description: keyframes.descriptions[keyframe]! }),
    );
  });
  const replies = requests.length > 0 ? await options.ground(requests) : [];
  if (replies.length !== requests.length) throw new Error(`vosRewards: System 2 answered ${replies.length} of ${requests.length} grounding requests`);

  const results: VosRolloutReward[] = outcomes.map((outcome, rollout) => {
    const keyframes = outcome.keyframes;
    if (!keyframes) return { reward: 0, parts: { structure: outcome.structure }, keyframes: outcome };
    const mine = replies.filter((_, i) => requests[i]!.rollout === rollout);
    const grounding = groundingReward(keyframes.groundingIndices, mine, target);
    const parts: VosRewardParts = {
      structure: outcome.structure,
      totalFrameReward: keyframes.totalFrameReward,
      totalOverlapReward: keyframes.totalOverlapReward,
    };
    return { reward: 0, parts, keyframes: outcome, grounding };
  });

  // Rollouts with at least one usable box wait for the segmenter; the others keep their keyframe terms only.
  const waiting = results.flatMap((r, rollout) => (r.grounding && r.grounding.samPrompts.length > 0 ? [rollout] : []));
  if (waiting.length > 0 && weights.alphaG > SAM_ALPHA_THRESHOLD) {
    if (!options.segment) throw new Error('vosRewards: alpha_g > 0 needs a segmenter');
    const propagated = await options.segment(waiting.map((rollout) => ({ rollout, prompts: results[rollout]!.grounding!.samPrompts })));
    if (propagated && propagated.length !== waiting.length) throw new Error(`vosRewards: the segmenter answered ${propagated.length} of ${waiting.length} requests`);
    if (propagated) {
      const masks = await target.masks();
      waiting.forEach((rollout, i) => {
        const r = results[rollout]!;
        const g = r.grounding!;
        r.parts = { ...r.parts, avgIou: g.avgIou, avgRatio: g.avgRatio, objectNumMismatch: g.objectNumMismatch, samIou: samMaskIou(propagated[i]!, masks) };
      });
    }
  }
  for (const r of results) r.reward = combineVosReward(r.parts, weights, options.clipReward ?? false);
  return results;
}
