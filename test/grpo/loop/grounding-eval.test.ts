import { describe, expect, it } from 'vitest';
import { evaluateGrounding, GROUNDING_TASK, type GroundingProblemTarget, type TrainingProblem } from '../../../src/core/grpo/index.js';
import type { ChatMessage, Completion, PolicyBackend, SamplingOptions } from '../../../src/plugins/api.js';

/** Answers each prompt with the box written after "box:" in its text, greedy only. */
function scriptedPolicy(): PolicyBackend & { temperatures: number[] } {
  const temperatures: number[] = [];
  return {
    name: 'scripted',
    temperatures,
    async generate(messages: ChatMessage[], sampling: SamplingOptions): Promise<Completion[]> {
      temperatures.push(sampling.temperature ?? Number.NaN);
      const text = messages[0]!.content.find((p) => p.type === 'text') as { text: string };
      const box = text.text.split('box:')[1]!;
      const answer = box === 'none' ? 'nothing' : `{"bbox_2d": ${box}, "points_1": [12, 12], "points_2": [16, 16]}`;
      return [{ text: `<think>x</think><answer>${answer}</answer>`, tokenIds: [], logProbs: [], finishReason: 'eos' }];
    },
    async close() {},
  };
}

function problem(id: string, answerBox: string): TrainingProblem {
  // Ground truth (10,10)-(19,19) in an image shown at its own size, so the reward does not rescale it.
  const target: GroundingProblemTarget = {
    expression: id,
    solution: '<box>(10,10),(19,19)</box><points>(12,12),(16,16)</points>',
    imageWidth: 40,
    imageHeight: 40,
    resizedWidth: 40,
    resizedHeight: 40,
  };
  return { id, task: GROUNDING_TASK, messages: async () => [{ role: 'user', content: [{ type: 'text', text: `box:${answerBox}` }] }], target };
}

describe('evaluateGrounding', () => {
  it("scores greedy answers with the SegZero reward's inclusive-pixel box IoU", async () => {
    const policy = scriptedPolicy();
    const result = await evaluateGrounding(policy, [problem('half', '[15, 10, 24, 19]'), problem('exact', '[10, 10, 19, 19]'), problem('no box', 'none')], { maxNewTokens: 32 });
    // half: 5 x 10 of two 10 x 10 boxes overlap, 50 / (100 + 100 - 50).
    expect(result.records.map((r) => r.iou)).toEqual([50 / 150, 1, 0]);
    expect(result.meanIou).toBeCloseTo((1 / 3 + 1) / 3, 12);
    expect(result.accAt50).toBeCloseTo(1 / 3, 12);
    expect(result.count).toBe(3);
    expect(policy.temperatures).toEqual([0, 0, 0]);
  });

  it('refuses problems of other tasks', async () => {
    await expect(evaluateGrounding(scriptedPolicy(), [{ ...problem('v', 'none'), task: 'vos' }], { maxNewTokens: 8 })).rejects.toThrow(/v is a vos problem/);
  });
});
