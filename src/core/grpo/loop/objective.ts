/**
 * How TRL scales the micro-batches of one optimizer step (its generation batch), for our loop where a micro-batch
 * is one prompt's G completions and the Trainer averages the accumulated micro-batches: grpo / bnpo / dr_grpo
 * divide each micro-batch's loss by the accumulation steps (so the step is their mean, which the averaging gives);
 * dapo divides the token sum of each micro-batch by `num_items_in_batch`, the active tokens of the whole
 * generation batch, and does not divide by the accumulation steps. The averaging divides by the number of
 * micro-batches, so dapo's fed normaliser is the step's token count over that number.
 */
export function dapoTokenNormalizer(stepTokens: number, microBatches: number): number {
  return Math.max(1, stepTokens) / microBatches;
}

/**
 * The training step's objective on top of the scoring graph's token log-probs [B, L]: the grpo helper's
 * `grpoLoss` (the authors' objective, or TRL's clipped family when a batch is reused), or SFT cross-entropy.
 */
import type { Graph, Tensor } from '../../graph/graph.js';
import { cast, div, mul, neg } from '../../graph/ops/elementwise.js';
import { clip } from '../../graph/ops/elementwise-extra.js';
import { reduceMean, reduceSum } from '../../graph/ops/reduce.js';
import { GRPO_LOSS_INPUT_NAMES, grpoLoss, grpoLossInputs, type GrpoLossType } from '../loss.js';

/** Inputs fed per micro-batch (the SFT objective uses only the mask). */
export const LOSS_INPUTS = {
  completionMask: GRPO_LOSS_INPUT_NAMES.completionMask,
  advantages: GRPO_LOSS_INPUT_NAMES.advantages,
  refLogProbs: GRPO_LOSS_INPUT_NAMES.refLogprobs,
  oldLogProbs: GRPO_LOSS_INPUT_NAMES.oldLogprobs,
  tokenNormalizer: GRPO_LOSS_INPUT_NAMES.tokenNormalizer,
} as const;

export interface ObjectiveOptions {
  /** 'omni-r1' (the authors': one on-policy step, ratio = exp(logp - detach(logp))) or a TRL type (ratio against fed old log-probs). */
  type: GrpoLossType;
  beta: number;
  epsilon: number;
  epsilonHigh: number;
  /** dr_grpo's constant denominator (the completion length budget). */
  maxCompletionLength: number;
}

export interface ObjectiveGraph {
  loss: Tensor;
  metrics: Record<string, Tensor>;
  /** Which of LOSS_INPUTS the graph takes (`normalizer`: dapo's token count of the whole step). */
  feeds: { old: boolean; ref: boolean; normalizer: boolean };
}

export function buildGrpoObjective(graph: Graph, logp: Tensor, options: ObjectiveOptions): ObjectiveGraph {
  const lp = logp.dtype === 'float32' ? logp : cast(logp, 'float32');
  const old = options.type !== 'omni-r1';
  const ref = options.beta !== 0;
  const normalizer = options.type === 'dapo';
  const inputs = grpoLossInputs(graph, 'float32', { batch: 'batch_size', length: 'sequence_length' }, { old, ref, normalizer });
  const out = grpoLoss({ tokenLogprobs: lp, ...inputs }, options);
  const metrics: Record<string, Tensor> = {};
  if (out.kl) metrics.kl = out.kl;
  if (out.clipRegion) metrics.clip_ratio = out.clipRegion;
  return { loss: out.loss, metrics, feeds: { old, ref, normalizer } };
}

/** SFT: the mean negative log-likelihood of the completion tokens (per-sequence token mean, then batch mean). */
export function buildSftObjective(graph: Graph, logp: Tensor): ObjectiveGraph {
  const mask = graph.input(LOSS_INPUTS.completionMask, 'float32', ['batch_size', 'sequence_length']);
  return graph.scope('sft_loss', () => {
    const lp = logp.dtype === 'float32' ? logp : cast(logp, 'float32');
    const perRow = div(reduceSum(mul(lp, mask), [1]), clip(reduceSum(mask, [1]), 1));
    const loss = neg(reduceMean(perRow, [0]));
    return { loss, metrics: {}, feeds: { old: false, ref: false, normalizer: false } };
  });
}
