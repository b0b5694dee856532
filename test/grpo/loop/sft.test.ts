import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReward, keyframeReward, momentText, RunDir, runTraining, visibleKeyframes, vosSftTarget, type VosProblemTarget } from '../../../src/core/grpo/index.js';
import { extractAnswer } from '../../../src/core/pipeline/index.js';
import { textProblems, tinyConfig, tinyThinker, type TinyThinker } from './helpers.js';

let fixture: TinyThinker;
beforeAll(async () => {
  fixture = await tinyThinker(13);
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

describe('SFT targets from the ground truth', () => {
  it('formats moments as mm:ss.ff at 2 pseudo-fps', () => {
    expect(momentText(0)).toBe('00:00.00');
    expect(momentText(5)).toBe('00:02.50');
    expect(momentText(130)).toBe('01:05.00');
  });

  it('picks at most 4 visible frames spread over the video, and the answer is well formed for the reward', () => {
    // Object visible on frames 1..8 of 10: evenly spread picks 1, 3/4, 6, 8.
    const pixels = [[0, 5, 5, 5, 5, 5, 5, 5, 5, 0]];
    expect(visibleKeyframes(pixels)).toEqual([1, 3, 6, 8]);
    expect(visibleKeyframes([[0, 0, 3, 0]])).toEqual([2]);
    const target = { frameCount: 10, objectPixels: pixels, expression: 'the red circle' } as unknown as VosProblemTarget;
    const text = vosSftTarget(target);
    expect(text).toContain('{"start_time": "00:00.50", "end_time": "00:00.50", "description": "the red circle"}');
    expect(formatReward(text)).toBe(1);
    const outcome = keyframeReward(extractAnswer(text), { frameCount: 10, objectPixels: pixels } as never);
    expect(outcome.keyframes?.groundingIndices).toEqual([1, 3, 6, 8]);
  });

  it("describes the moments with the dataset's grounding description where it has one", () => {
    const target = { frameCount: 4, objectPixels: [[0, 0, 3, 0]], expression: 'the object making the high beep', groundingDescription: 'the small red circle' };
    expect(vosSftTarget(target as unknown as VosProblemTarget)).toBe(
      '<think>The referred object is visible at 00:01.00.</think><answer>{"start_time": "00:01.00", "end_time": "00:01.00", "description": "the small red circle"}</answer>',
    );
  });
});

describe('runTraining --objective sft', () => {
  it('lowers the cross-entropy of the target completions', async () => {
    const config = tinyConfig({ objective: 'sft', maxSteps: 8, epochs: 4, saveSteps: 100, optimizer: { lr: 5e-2, weightDecay: 0, maxGradNorm: 5, warmupRatio: 0 },
      adapter: { kind: 'lora', rank: 4, alpha: 8, targets: ['v_proj', 'o_proj', 'down_proj', 'lm_head'], seed: 1 },
    });
    const policy = await fixture.open();
    const runDir = await RunDir.create(join(fixture.dir, 'sft'), config);
    try {
      const result = await runTraining({ config, policy, problems: textProblems(4), sftTarget: () => '<think>dog</think><answer>00:02.00</answer>', runDir });
      expect(result.steps).toBe(8);
    } finally {
      await policy.release();
    }
    const losses = (await runDir.readMetrics()).map((m) => m.loss as number);
    // A random tiny model starts near log(vocab) nats per token.
    expect(losses[0]).toBeGreaterThan(4);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 1);
  });
});
