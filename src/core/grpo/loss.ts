/**
 * GRPO objectives as graph-engine builders over per-token log-probs `[B, L]` (the policy graph's
 * `tokenLogProbs`), per-sequence advantages `[B]` and a completion mask `[B, L]` (1 up to and including the
 * first EOS).
 *
 * - `omni-r1`: the authors' objective, one on-policy step: `-(exp(logp - detach(logp)) A - beta k3)` with
 *   `k3 = exp(ref - logp) - (ref - logp) - 1`, token mean per sequence, then batch mean. No clipping.
 * - TRL's family (`grpo`, `bnpo`, `dr_grpo`, `dapo`), for several optimisation steps per generation:
 *   ratio = exp(logp - old), `-min(ratio A, clip(ratio, 1 - eps, 1 + eps_high) A) + beta k3`, aggregated as
 *   TRL's `_compute_loss` does per loss type.
 *
 * `detach(logp)` is `stopGradient` (CastLike(x, x), which onnxruntime runs as a copy). When `oldLogprobs` is
 * not given, it is the detached current log-probs, exactly the authors' (and TRL's num_iterations = 1) ratio.
 * Gradient accumulation scaling (TRL divides by the accumulation steps, except for dapo, whose normaliser counts the
 * whole step's tokens) is the caller's: see `dapoTokenNormalizer` in loop/objective.ts.
 */
import type { DType } from '../graph/dtype.js';
import type { Graph, Tensor } from '../graph/graph.js';
import type { Dim } from '../graph/ir.js';
import { add, and, cast, div, exp, greater, less, mul, neg, sub } from '../graph/ops/elementwise.js';
import { clip, minimum } from '../graph/ops/elementwise-extra.js';
import { gather } from '../graph/ops/indexing.js';
import { reduceMean, reduceSum } from '../graph/ops/reduce.js';
import { shapeOf, unsqueeze } from '../graph/ops/shape.js';
import { stopGradient } from '../graph/ops/stop-gradient.js';

export type GrpoLossType = 'omni-r1' | 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
export const GRPO_LOSS_TYPES: readonly GrpoLossType[] = ['omni-r1', 'grpo', 'bnpo', 'dr_grpo', 'dapo'];

export interface GrpoLossOptions {
  type: GrpoLossType;
  /** KL weight (`--beta`, 0.04 in the authors' runs); 0 leaves the reference log-probs out. */
  beta: number;
  /** Lower clip range (TRL types; default 0.2). */
  epsilon?: number;
  /** Upper clip range (TRL types; default `epsilon`). */
  epsilonHigh?: number;
  /** `dr_grpo` divides by B * this (`--max-completion-length`). */
  maxCompletionLength?: number;
}

export interface GrpoLossTensors {
  /** `[B, L]` log-probs of the completion tokens under the policy being trained. */
  tokenLogprobs: Tensor;
  /** `[B]` advantages. */
  advantages: Tensor;
  /** `[B, L]`, 1 for completion tokens, in the log-probs' float dtype. */
  completionMask: Tensor;
  /** `[B, L]` log-probs of the policy that generated the completions; default: detached `tokenLogprobs`. */
  oldLogprobs?: Tensor;
  /** `[B, L]` log-probs under the reference model; required when beta != 0. */
  refLogprobs?: Tensor;
  /** `dapo`: active tokens of the whole generation batch (scalar); default: this batch's mask sum. */
  tokenNormalizer?: Tensor;
}

export interface GrpoLossGraph {
  loss: Tensor;
  /** Mean k3 KL (authors: per-sequence token mean, then batch mean; TRL: token mean over the batch); when beta != 0. */
  kl?: Tensor;
  /** TRL types: fractions of completion tokens whose ratio was clipped below (A < 0), above (A > 0), either. */
  clipLow?: Tensor;
  clipHigh?: Tensor;
  clipRegion?: Tensor;
}

/** Names the loop feeds; `grpoLossInputs` declares them. */
export const GRPO_LOSS_INPUT_NAMES = {
  oldLogprobs: 'old_logprobs',
  refLogprobs: 'ref_logprobs',
  advantages: 'advantages',
  completionMask: 'completion_mask',
  tokenNormalizer: 'token_normalizer',
} as const;

/** Declares the loss's graph inputs (old log-probs only when `old`, reference ones only when `ref`, the dapo normaliser only when `normalizer`). */
export function grpoLossInputs(
  g: Graph,
  dtype: DType,
  shape: { batch: Dim; length: Dim },
  which: { old?: boolean; ref?: boolean; normalizer?: boolean } = {},
): Omit<GrpoLossTensors, 'tokenLogprobs'> {
  const n = GRPO_LOSS_INPUT_NAMES;
  const tokens = [shape.batch, shape.length];
  return {
    advantages: g.input(n.advantages, dtype, [shape.batch]),
    completionMask: g.input(n.completionMask, dtype, tokens),
    ...(which.old ? { oldLogprobs: g.input(n.oldLogprobs, dtype, tokens) } : {}),
    ...(which.ref ? { refLogprobs: g.input(n.refLogprobs, dtype, tokens) } : {}),
    ...(which.normalizer ? { tokenNormalizer: g.input(n.tokenNormalizer, dtype, []) } : {}),
  };
}

/** k3 = exp(ref - logp) - (ref - logp) - 1. */
function k3(logp: Tensor, ref: Tensor): Tensor {
  const x = sub(ref, logp);
  return sub(sub(exp(x), x), 1);
}

const maskedSum = (x: Tensor, mask: Tensor, axes: number[]) => reduceSum(mul(x, mask), axes, false);

/** Per-sequence token mean (optionally with the token count clamped to >= 1), then batch mean. */
function sequenceMean(x: Tensor, mask: Tensor, clampCount: boolean): Tensor {
  const count = reduceSum(mask, [1], false);
  return reduceMean(div(maskedSum(x, mask, [1]), clampCount ? clip(count, 1) : count), [0], false);
}

function tokenMean(x: Tensor, mask: Tensor): Tensor {
  return div(maskedSum(x, mask, [0, 1]), clip(reduceSum(mask, [0, 1], false), 1));
}

/** B * maxLength, the dr_grpo denominator (B from the static shape when known). */
function drGrpoDenominator(x: Tensor, maxLength: number): Tensor {
  const b = x.shape?.[0];
  return typeof b === 'number' ? x.graph.scalar(b * maxLength, x.dtype) : mul(cast(gather(shapeOf(x), 0), x.dtype), maxLength);
}

export function grpoLoss(t: GrpoLossTensors, options: GrpoLossOptions): GrpoLossGraph {
  const g = t.tokenLogprobs.graph;
  return g.scope(`grpo_loss_${options.type}`, () => {
    const logp = t.tokenLogprobs;
    const mask = t.completionMask;
    const advantages = unsqueeze(t.advantages, [1]);
    const old = t.oldLogprobs ?? stopGradient(logp);
    if (options.beta !== 0 && !t.refLogprobs) throw new Error('grpoLoss: beta != 0 needs the reference log-probs');
    const kl = options.beta !== 0 ? k3(logp, t.refLogprobs!) : undefined;
    const ratio = exp(sub(logp, old));

    if (options.type === 'omni-r1') {
      const gain = mul(ratio, advantages);
      const perToken = neg(kl ? sub(gain, mul(kl, options.beta)) : gain);
      return { loss: sequenceMean(perToken, mask, false), ...(kl ? { kl: sequenceMean(kl, mask, false) } : {}) };
    }

    const epsilon = options.epsilon ?? 0.2;
    const epsilonHigh = options.epsilonHigh ?? epsilon;
    const clipped = clip(ratio, 1 - epsilon, 1 + epsilonHigh);
    let perToken = neg(minimum(mul(ratio, advantages), mul(clipped, advantages)));
    if (kl) perToken = add(perToken, mul(kl, options.beta));

    let loss: Tensor;
    switch (options.type) {
      case 'grpo':
        loss = sequenceMean(perToken, mask, true);
        break;
      case 'bnpo':
        loss = tokenMean(perToken, mask);
        break;
      case 'dr_grpo': {
        const maxLength = options.maxCompletionLength;
        if (!maxLength) throw new Error('grpoLoss: dr_grpo needs maxCompletionLength');
        loss = div(maskedSum(perToken, mask, [0, 1]), drGrpoDenominator(logp, maxLength));
        break;
      }
      case 'dapo':
        loss = div(maskedSum(perToken, mask, [0, 1]), t.tokenNormalizer ?? reduceSum(mask, [0, 1], false));
        break;
    }

    const low = cast(and(less(ratio, 1 - epsilon), less(advantages, 0)), logp.dtype);
    const high = cast(and(greater(ratio, 1 + epsilonHigh), greater(advantages, 0)), logp.dtype);
    return {
      loss,
      ...(kl ? { kl: tokenMean(kl, mask) } : {}),
      clipLow: tokenMean(low, mask),
      clipHigh: tokenMean(high, mask),
      clipRegion: tokenMean(add(low, high), mask),
    };
  });
}
