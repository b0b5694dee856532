/**
 * One optimizer step over two prompts (two micro-batches of G = 2 completions with different lengths) through the
 * objective graph, the feeds the loop builds and the Trainer's accumulation, against TRL's per-step loss and
 * gradient worked out by hand: grpo / bnpo / dr_grpo average the micro-batch losses (TRL divides each by the
 * accumulation steps), dapo divides every token by the whole step's token count (num_items_in_batch).
 */
import { describe, expect, it } from 'vitest';
import * as G from '../../../src/core/graph/index.js';
import { buildGrpoObjective, dapoTokenNormalizer, LOSS_INPUTS } from '../../../src/core/grpo/index.js';

type TrlType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

// Per group (micro-batch): rows x 4 tokens. Completion lengths 3, 1 (group 0) and 4, 2 (group 1): 10 tokens.
const LENGTHS = [
  [3, 1],
  [4, 2],
];
const ADVANTAGES = [
  [0.7, -0.7],
  [-1.1, 1.1],
];
const L = 4;
const MAX_COMPLETION_LENGTH = 5;
// Current log-probs (the trained parameter) and the generating policy's, with ratios inside the clip range.
const LOGP = Array.from({ length: 16 }, (_, i) => -1 - 0.05 * i);
const OLD = LOGP.map((v, i) => v + (i % 3 === 0 ? 0.1 : -0.08));
const at = (g: number, b: number, t: number) => g * 8 + b * 4 + t;
const mask = (g: number, b: number, t: number) => (t < LENGTHS[g]![b]! ? 1 : 0);

/** TRL's step loss and gradient w.r.t. each log-prob (ratio unclipped, beta 0: d(-r A)/dlogp = -r A). */
function trlStep(type: TrlType): { loss: number; grad: number[] } {
  const grad = new Array<number>(16).fill(0);
  let loss = 0;
  const groups = LENGTHS.length;
  const stepTokens = LENGTHS.flat().reduce((a, b) => a + b, 0);
  for (let g = 0; g < groups; g++) {
    const groupTokens = LENGTHS[g]!.reduce((a, b) => a + b, 0);
    const rows = LENGTHS[g]!.length;
    for (let b = 0; b < rows; b++) {
      for (let t = 0; t < L; t++) {
        if (!mask(g, b, t)) continue;
        const i = at(g, b, t);
        const ratio = Math.exp(LOGP[i]! - OLD[i]!);
        const perToken = -ratio * ADVANTAGES[g]![b]!;
        // TRL: grpo/bnpo/dr_grpo losses are divided by the accumulation steps (here the groups); dapo is not.
        const weight =
          type === 'grpo'
            ? 1 / LENGTHS[g]![b]! / rows / groups
            : type === 'bnpo'
              ? 1 / groupTokens / groups
              : type === 'dr_grpo'
                ? 1 / (rows * MAX_COMPLETION_LENGTH) / groups
                : 1 / stepTokens;
        loss += perToken * weight;
        grad[i] = perToken * weight;
      }
    }
  }
  return { loss, grad };
}

async function ourStep(type: TrlType): Promise<{ loss: number; gradNorm: number }> {
  const graph = new G.Graph('grpo_step');
  const p = graph.initializer('logp', G.tensorData('float32', [2, 2, L], LOGP));
  const select = graph.input('select', 'float32', [2]);
  const logp = G.reduceSum(G.mul(p, G.reshape(select, [2, 1, 1])), [0], false);
  const objective = buildGrpoObjective(graph, logp, { type, beta: 0, epsilon: 0.2, epsilonHigh: 0.2, maxCompletionLength: MAX_COMPLETION_LENGTH });
  const compiled = G.compileTrainStep(graph, { loss: objective.loss, metrics: objective.metrics, trainable: ['logp'] });
  const trainer = await G.Trainer.create(compiled, { optimizer: { lr: 1e-3, weightDecay: 0 }, maxGradNorm: 1e9, session: { optimization: 'basic' } });
  const stepTokens = LENGTHS.flat().reduce((a, b) => a + b, 0);
  for (let g = 0; g < 2; g++) {
    const rows = (values: (b: number, t: number) => number) => Float32Array.from({ length: 2 * L }, (_, k) => values(Math.floor(k / L), k % L));
    await trainer.accumulate({
      select: G.tensorData('float32', [2], g === 0 ? [1, 0] : [0, 1]),
      [LOSS_INPUTS.completionMask]: { dtype: 'float32', shape: [2, L], data: rows((b, t) => mask(g, b, t)) },
      [LOSS_INPUTS.advantages]: G.tensorData('float32', [2], ADVANTAGES[g]!),
      [LOSS_INPUTS.oldLogProbs]: { dtype: 'float32', shape: [2, L], data: rows((b, t) => OLD[at(g, b, t)]!) },
      ...(objective.feeds.normalizer ? { [LOSS_INPUTS.tokenNormalizer]: G.tensorData('float32', [], [dapoTokenNormalizer(stepTokens, 2)]) } : {}),
    });
  }
  const result = trainer.applyGradients();
  await trainer.release();
  return { loss: result.loss, gradNorm: result.gradNorm };
}

describe('GRPO loss normalisation over a step of several prompts (TRL)', () => {
  it.each(['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const)('%s: step loss and gradient equal TRL by hand', async (type) => {
    const expected = trlStep(type);
    const ours = await ourStep(type);
    expect(ours.loss).toBeCloseTo(expected.loss, 6);
    expect(ours.gradNorm).toBeCloseTo(Math.hypot(...expected.grad), 6);
  });

  it('dapo differs from bnpo when the groups have different token counts', () => {
    expect(Math.abs(trlStep('dapo').loss - trlStep('bnpo').loss)).toBeGreaterThan(1e-3);
  });

  it('the dapo normaliser is the step token count over the micro-batches (clamped to one token)', () => {
    expect(dapoTokenNormalizer(10, 2)).toBe(5);
    expect(dapoTokenNormalizer(0, 4)).toBe(0.25);
  });
});
