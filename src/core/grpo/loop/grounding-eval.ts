/**
 * How well a policy grounds: each grounding problem (`refcocog`, `revos-grounding`) asked greedily, as System 2 asks,
 * and its answer scored with the SegZero reward's own box IoU (in the resized image's pixels). The nano recipe uses it
 * to check System 2 on held-out frames before GRPO, since R_G stays 0 until System 2's boxes overlap the objects.
 */
import type { PolicyBackend } from '../../../plugins/api.js';
import { segZeroReward } from '../rewards/segzero.js';
import { GROUNDING_TASK, type GroundingProblemTarget } from './grounding-problems.js';
import type { TrainingProblem } from './problems.js';

export interface GroundingEvalRecord {
  id: string;
  expression: string;
  completion: string;
  iou: number;
}

export interface GroundingEvalResult {
  count: number;
  meanIou: number;
  /** Fraction of problems with IoU > 0.5. */
  accAt50: number;
  records: GroundingEvalRecord[];
}

export async function evaluateGrounding(
  policy: PolicyBackend,
  problems: readonly TrainingProblem[],
  options: { maxNewTokens: number; onProblem?: (done: number, total: number) => void },
): Promise<GroundingEvalResult> {
  const records: GroundingEvalRecord[] = [];
  for (const problem of problems) {
    if (problem.task !== GROUNDING_TASK) throw new Error(`evaluateGrounding: problem ${problem.id} is a ${problem.task} problem, not a grounding one`);
    const target = problem.target as GroundingProblemTarget;
    const [completion] = await policy.generate(await problem.messages(), { maxNewTokens: options.maxNewTokens, temperature: 0 });
    const text = completion?.text ?? '';
    records.push({ id: problem.id, expression: target.expression, completion: text, iou: segZeroReward(text, target).iou });
    options.onProblem?.(records.length, problems.length);
  }
  const count = records.length;
  const mean = (values: number[]) => (count > 0 ? values.reduce((a, b) => a + b, 0) / count : Number.NaN);
  return { count, meanIou: mean(records.map((r) => r.iou)), accAt50: mean(records.map((r) => (r.iou > 0.5 ? 1 : 0))), records };
}
