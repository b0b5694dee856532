import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRevos } from '../../../src/core/data/index.js';
import {
  DEFAULT_VOS_REWARD_WEIGHTS,
  RunDir,
  runTraining,
  vosRewardScorer,
  vosTrainingProblems,
  type GroundKeyframes,
  type SegmentRollouts,
  type TrainingProblem,
  type VosTarget,
} from '../../../src/core/grpo/index.js';
import { synthesizeDataset } from '../../../src/core/synth/index.js';
import { tinyConfig, tinyThinker, type TinyThinker } from './helpers.js';

let fixture: TinyThinker;
let problems: TrainingProblem[];
beforeAll(async () => {
  fixture = await tinyThinker(9);
  const root = join(fixture.dir, 'revos');
  await synthesizeDataset({ format: 'revos', out: root, videos: 4, frames: 8, width: 32, height: 32, seed: 3 });
  problems = await vosTrainingProblems(await openRevos(root, 'train'), { maxFrames: 8, withFrames: false, seed: 0, prefix: 'revos' });
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

/** System 2 stand-in: answers every keyframe with the ground-truth box of object 0 on that frame (no resize). */
function scriptedGrounding(target: VosTarget): { ground: GroundKeyframes; calls: number[] } {
  const calls: number[] = [];
  const ground: GroundKeyframes = async (requests) => {
    calls.push(requests.length);
    return requests.map((r) => ({ text: JSON.stringify([{ bbox_2d: target.objectBoxes[0]![r.frameIndex] }]), resize: { resizedHw: [32, 32], originalHw: [32, 32] } }));
  };
  return { ground, calls };
}

/** Segmenter spy: records each batched call, returns the ground-truth masks as the propagation. */
function segmenterSpy(target: VosTarget): { segment: SegmentRollouts; calls: number[] } {
  const calls: number[] = [];
  const segment: SegmentRollouts = async (requests) => {
    calls.push(requests.length);
    const masks = await target.masks();
    return requests.map((r) => r.prompts.map(() => masks[0]!.map((m) => m)));
  };
  return { segment, calls };
}

const ANSWER =
  '<think>the dog</think><answer>{"start_time": "00:00.50", "end_time": "00:00.50", "description": "shape"} {"start_time": "00:02.00", "end_time": "00:02.00", "description": "shape"}</answer>';

describe('VOS targets read their masks again when R_G needs them', () => {
  it('building a problem reads each sampled frame once; target.masks() reads them again and gives the same masks', async () => {
    const dataset = await openRevos(join(fixture.dir, 'revos'), 'train');
    const reads: number[] = [];
    const counted = {
      ...dataset,
      async *[Symbol.asyncIterator]() {
        for await (const item of dataset) {
          const objectMasks = item.objectMasks.bind(item);
          yield { ...item, objectMasks: (frame: number) => (reads.push(frame), objectMasks(frame)) };
        }
      },
    } as typeof dataset;
    const [problem] = await vosTrainingProblems(counted, { maxFrames: 4, withFrames: false, seed: 0, prefix: 'revos' });
    const target = problem!.target as VosTarget;
    const frames = (problem!.target as { frameIndices: number[] }).frameIndices;
    const perProblem = reads.length;
    expect(perProblem).toBeGreaterThanOrEqual(frames.length);
    expect(reads.slice(0, frames.length)).toEqual(frames);

    const masks = await target.masks();
    expect(reads.length).toBe(perProblem + frames.length);
    expect(reads.slice(perProblem)).toEqual(frames);
    // The same masks the pixel counts and boxes were derived from.
    expect(masks.map((perFrame) => perFrame.map((m) => m.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)))).toEqual(target.objectPixels);
  });
});

describe('VOS rewards in the loop (synthetic ReVOS, 8 frames at 32x32)', () => {
  it('the segmenter is called once per group (all rollouts batched) when alpha_g > 0, never when alpha_g = 0', async () => {
    const problem = problems[0]!;
    const target = problem.target as VosTarget;
    expect(target.frameCount).toBe(8);
    const completions = [0, 1, 2].map(() => ({ tokenIds: [1, 2, 3], logProbs: [0, 0, 0], text: ANSWER }));
    const withSam = segmenterSpy(target);
    const scored = await vosRewardScorer({ ground: () => scriptedGrounding(target).ground, segment: () => withSam.segment, weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 1 }, clipReward: false, lenControl: false })(problem, completions);
    expect(withSam.calls).toEqual([3]);
    expect(scored.components.format).toEqual([1, 1, 1]);
    // Identical completions score identically, and the SAM part is what the spy's (ground-truth) masks give: J = 1.
    expect(scored.components['vos/samIou']).toEqual([1, 1, 1]);
    expect(scored.total[0]).toBeCloseTo(scored.components.format[0]! + scored.components.accuracy[0]!, 12);

    const without = segmenterSpy(target);
    const scored0 = await vosRewardScorer({ ground: () => scriptedGrounding(target).ground, segment: () => without.segment, weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 0 }, clipReward: false, lenControl: false })(problem, completions);
    expect(without.calls).toEqual([]);
    // Without the segmenter call the grounding terms are not added either (vosRewards, as handle_rewards does):
    // the difference is avg_iou + avg_ratio + mismatch + 1 * sam_iou, all weights 1.
    const c = scored.components;
    const extra = c['vos/avgIou']![0]! + c['vos/avgRatio']![0]! + c['vos/objectNumMismatch']![0]! + c['vos/samIou']![0]!;
    expect(c['vos/avgIou']![0]).toBeGreaterThan(0);
    expect(scored0.components['vos/samIou']).toEqual([0, 0, 0]);
    expect(scored.components.accuracy[0]! - scored0.components.accuracy[0]!).toBeCloseTo(extra, 12);
  });

  it('a GRPO run with alpha_g = 0 on VOS problems never calls the segmenter and logs every reward component', async () => {
    const config = tinyConfig({ maxSteps: 2, batchSize: 1, saveSteps: 100 });
    const calls: number[] = [];
    const segment: SegmentRollouts = async (requests) => {
      calls.push(requests.length);
      return null;
    };
    const ground: GroundKeyframes = async (requests) => requests.map(() => ({ text: '[]', resize: { resizedHw: [32, 32], originalHw: [32, 32] } }));
    const policy = await fixture.open();
    const runDir = await RunDir.create(join(fixture.dir, 'vos-run'), config);
    try {
      await runTraining({
        config,
        policy,
        problems,
        rewards: { vos: vosRewardScorer({ ground: () => ground, segment: () => segment, weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 0 }, clipReward: false, lenControl: false }) },
        runDir,
      });
    } finally {
      await policy.release();
    }
    expect(calls).toEqual([]);
    const metrics = await runDir.readMetrics();
    expect(metrics).toHaveLength(2);
    for (const key of ['reward/format', 'reward/accuracy', 'reward/length', 'reward/vos/structure', 'reward/vos/samIou']) expect(metrics[0]![key], key).toBeTypeOf('number');
    expect(metrics[0]!.tasks).toEqual(['vos']);
  });
});
