/**
 * The reward table for System 2 and the segmenter: box parsing and scaling, box IoU with per-frame Hungarian
 * matching (authors' quirks included), saliency, object-number mismatch, SAM J, handle_rewards, the batched VOS
 * flow, RefAVS. Expected values are worked out by hand (arithmetic in the comments).
 */
import { describe, expect, it, vi } from 'vitest';
import type { BinaryMask, Box } from '../../src/plugins/api.js';
import { DUMMY_BOX, fillGroundingSlots, type ImageResize, parseFirstBox, resizeScale, toOriginalBox, toResizedBox } from '../../src/core/grpo/boxes.js';
import { matchingIou, plainIou } from '../../src/core/grpo/box-iou.js';
import { groundingReward, type GroundingReply, type GroundingTarget } from '../../src/core/grpo/rewards/vos-grounding.js';
import { resizeMaskNearest, samMaskIou } from '../../src/core/grpo/rewards/sam-iou.js';
import { combineVosReward, DEFAULT_VOS_REWARD_WEIGHTS } from '../../src/core/grpo/rewards/vos-combine.js';
import { vosRewards, vosTarget, type SegmentRollouts } from '../../src/core/grpo/rewards/vos.js';
import { refAvsBoxReward, refAvsRewards } from '../../src/core/grpo/rewards/refavs.js';

const same: ImageResize = { resizedHw: [100, 200], originalHw: [100, 200] };
const half: ImageResize = { resizedHw: [50, 100], originalHw: [100, 200] };
const reply = (text: string, resize: ImageResize = same): GroundingReply => ({ text, resize });
const box = (b: Box) => JSON.stringify({ bbox_2d: b });

function mask(width: number, height: number, on: Array<[number, number]> = []): BinaryMask {
  const data = new Uint8Array(width * height);
  for (const [x, y] of on) data[y * width + x] = 1;
  return { width, height, data };
}

function rect(width: number, height: number, [x1, y1, x2, y2]: Box): BinaryMask {
  const m = mask(width, height);
  for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) m.data[y * width + x] = 1;
  return m;
}

describe('System-2 box parsing', () => {
  it('searches the whole completion, fills slots in order, dummy for malformed blocks', () => {
    const text = `<think>maybe {"bbox_2d": [1,2,3,4]}</think><answer>{"bbox_2d": [1,2,3]} {"bbox_2d": ["5", 6, 7.5, true]}</answer>`;
    // Block 1 (inside <think>) fills slot 0; block 2 has 3 numbers -> dummy; block 3 converts as numpy would.
    expect(fillGroundingSlots(text, 3)).toEqual({ slots: [[1, 2, 3, 4], DUMMY_BOX, [5, 6, 7.5, 1]], extraBlocks: 0 });
    // Fewer blocks than objects: the rest are dummies.
    expect(fillGroundingSlots('{"bbox_2d": [1,2,3,4]}', 2).slots).toEqual([[1, 2, 3, 4], DUMMY_BOX]);
    expect(fillGroundingSlots('', 1)).toEqual({ slots: [DUMMY_BOX], extraBlocks: 0 });
  });

  it('counts every block as extra once the slots are full (the authors break at the first overflow)', () => {
    // 1 object, 3 blocks -> extra = 3 - 1 = 2. Exactly as many blocks as slots -> 0.
    expect(fillGroundingSlots(`${box([1, 1, 2, 2])} {junk} ${box([3, 3, 4, 4])}`, 1)).toEqual({ slots: [[1, 1, 2, 2]], extraBlocks: 2 });
    expect(fillGroundingSlots(`${box([1, 1, 2, 2])} ${box([3, 3, 4, 4])}`, 2).extraBlocks).toBe(0);
  });

  it('RefAVS: the first block only', () => {
    expect(parseFirstBox(`{"label": "x"} ${box([1, 2, 3, 4])}`)).toEqual(DUMMY_BOX);
    expect(parseFirstBox(`text ${box([1, 2, 3, 4])} ${box([5, 6, 7, 8])}`)).toEqual([1, 2, 3, 4]);
  });

  it('scales resized <-> original in float32 with w/h ratios', () => {
    // resized 50x100 of 100x200 -> scale [0.5, 0.5, 0.5, 0.5]; a 0.1 ratio rounds to float32.
    const scale = resizeScale(half);
    expect(scale).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(toResizedBox([21, 11, 41, 31], scale)).toEqual([10.5, 5.5, 20.5, 15.5]);
    expect(toOriginalBox([10.5, 5.5, 20.5, 15.5], scale)).toEqual([21, 11, 41, 31]);
    expect(resizeScale({ resizedHw: [1, 1], originalHw: [10, 10] })[0]).toBe(Math.fround(0.1));
  });
});

describe('box IoU', () => {
  it('inclusive pixels; the GT x1 <= 0 quirk zeroes matching IoU', () => {
    // [10,10,19,19] vs [15,10,24,19]: inter 5 x 10 = 50, union 100 + 100 - 50 = 150 -> 1/3.
    expect(matchingIou([10, 10, 19, 19], [15, 10, 24, 19])).toBe(Math.fround(1 / 3));
    expect(matchingIou([0, 10, 9, 19], [0, 10, 9, 19])).toBe(0);
    expect(plainIou([0, 10, 9, 19], [0, 10, 9, 19])).toBe(1);
    // Boxes outside the frame simply do not overlap.
    expect(matchingIou([10, 10, 19, 19], [300, 300, 400, 400])).toBe(0);
  });
});

describe('grounding reward (grounding2sam_process_reward)', () => {
  // One object on 8 frames, 100 px on frames 2..5 (a 10 x 10 square).
  const one: GroundingTarget = {
    objectPixels: [[0, 0, 100, 100, 100, 50, 0, 0]],
    objectBoxes: [[DUMMY_BOX, DUMMY_BOX, [10, 10, 19, 19], [10, 10, 19, 19], [10, 10, 19, 19], [10, 10, 19, 14], DUMMY_BOX, DUMMY_BOX]],
  };

  it('IoU per keyframe, saliency ratios, SAM prompts', () => {
    const out = groundingReward([2, 5], [reply(box([10, 10, 19, 19])), reply(box([15, 10, 24, 19]))], one);
    // Frame 2: IoU 1. Frame 5: GT [10,10,19,14] (50 px) vs [15,10,24,19] (100 px): inter 5 x 5 = 25, union 125 -> 0.2.
    expect(out.matchedIou).toEqual([[1, Math.fround(0.2)]]);
    expect(out.avgIou).toBeCloseTo(0.6, 7); // float32 mean of 1 and 0.2
    // Saliency: frame areas 100 and 50 over the largest (100 + 1e-6): (100 + 50) / 100.000001 / 2.
    expect(out.avgRatio).toBeCloseTo(0.75 / 1.00000001, 12);
    expect(out.objectNumMismatch).toBe(0);
    expect(out.samPrompts).toEqual([
      { objectId: 0, frameIndex: 2, box: [10, 10, 19, 19] },
      { objectId: 0, frameIndex: 5, box: [15, 10, 24, 19] },
    ]);
  });

  it('Hungarian matching per frame pairs boxes with objects regardless of order', () => {
    const two: GroundingTarget = { objectPixels: [[100], [100]], objectBoxes: [[[10, 10, 19, 19]], [[50, 50, 59, 59]]] };
    const out = groundingReward([0], [reply(`${box([50, 50, 59, 59])} ${box([10, 10, 19, 19])}`)], two);
    expect(out.avgIou).toBe(1); // without matching both would score 0
    // SAM prompts carry the matched (permuted) boxes under the GT object slots.
    expect(out.samPrompts).toEqual([
      { objectId: 0, frameIndex: 0, box: [10, 10, 19, 19] },
      { objectId: 1, frameIndex: 0, box: [50, 50, 59, 59] },
    ]);
  });

  it('rectangular in effect: fewer predictions than objects leave dummies matched to the rest', () => {
    // Objects A [10..19], B [50..59]; one prediction = B. A's match is the dummy (area 1, no overlap) -> 0. Mean (0 + 1) / 2.
    const two: GroundingTarget = { objectPixels: [[100], [100]], objectBoxes: [[[10, 10, 19, 19]], [[50, 50, 59, 59]]] };
    const out = groundingReward([0], [reply(box([50, 50, 59, 59]))], two);
    expect(out.matchedIou).toEqual([[0], [1]]);
    expect(out.avgIou).toBe(0.5);
    expect(out.samPrompts).toEqual([{ objectId: 1, frameIndex: 0, box: [50, 50, 59, 59] }]);
  });

  it('GT x1 = 0 never scores; empty GT keyframes are left out of the mean', () => {
    const edge: GroundingTarget = { objectPixels: [[100, 0]], objectBoxes: [[[0, 10, 9, 19], DUMMY_BOX]] };
    const out = groundingReward([0, 1], [reply(box([0, 10, 9, 19])), reply(box([5, 5, 9, 9]))], edge);
    // Frame 0: IoU forced to 0 (x1 = 0). Frame 1: GT empty -> not a valid pair. Mean over [0] = 0.
    expect(out.avgIou).toBe(0);
    // Both predictions are real boxes, so both become SAM prompts.
    expect(out.samPrompts).toHaveLength(2);
  });

  it('all keyframes with empty GT: avg IoU 0 and saliency 0', () => {
    const empty: GroundingTarget = { objectPixels: [[0, 0]], objectBoxes: [[DUMMY_BOX, DUMMY_BOX]] };
    const out = groundingReward([0, 1], [reply(box([5, 5, 9, 9])), reply('')], empty);
    expect(out.avgIou).toBe(0);
    expect(out.avgRatio).toBe(0); // 0 / (0 + 1e-6)
    expect(out.samPrompts).toEqual([{ objectId: 0, frameIndex: 0, box: [5, 5, 9, 9] }]);
  });

  it('boxes outside the frame score 0 but still prompt SAM; a -1 coordinate keeps its IoU but prompts nothing', () => {
    const out = groundingReward([2, 3], [reply(box([300, 300, 400, 400])), reply(box([-1, 10, 19, 19]))], one);
    // Frame 2: 0. Frame 3: [-1,10,19,19] (21 x 10 = 210 px) covers the GT's 100 px -> 100/210. Mean (0 + 0.476) / 2.
    expect(out.avgIou).toBeCloseTo(100 / 210 / 2, 7);
    expect(out.samPrompts).toEqual([{ objectId: 0, frameIndex: 2, box: [300, 300, 400, 400] }]);
  });

  it('object-number mismatch: -(extra blocks) / (objects + 1e-6) * 0.5 / K, summed over keyframes', () => {
    // Keyframe 2: 3 blocks for 1 object -> 2 extra; keyframe 3: 1 block. -2 / 1.000001 * 0.5 / 2.
    const out = groundingReward([2, 3], [reply(`${box([10, 10, 19, 19])} ${box([1, 1, 2, 2])} ${box([3, 3, 4, 4])}`), reply(box([10, 10, 19, 19]))], one);
    expect(out.objectNumMismatch).toBeCloseTo(-0.5 / 1.000001, 12);
    expect(out.avgIou).toBe(1);
  });

  it('compares in resized pixels and prompts SAM in original pixels (the last keyframe scale)', () => {
    // GT [10,10,19,19] * 0.5 = [5,5,9.5,9.5]; prediction (resized) [5,5,9.5,9.5] -> IoU 1; SAM box = prediction / 0.5.
    const out = groundingReward([2], [reply(box([5, 5, 9.5, 9.5]), half)], one);
    expect(out.avgIou).toBe(1);
    expect(out.samPrompts[0]!.box).toEqual([10, 10, 19, 19]);
  });
});

describe('SAM mask IoU (sam2_single_reward)', () => {
  it('union of propagated masks vs union of GT objects, per frame J (empty/empty = 1), averaged over all frames', () => {
    const gt = [[mask(4, 4), mask(4, 4, [[0, 0], [1, 0], [0, 1], [1, 1]])]];
    // Frame 0: both empty -> 1. Frame 1: prediction = 2 GT pixels (from two prompts) + 2 outside: inter 2, union 6 -> 1/3.
    const propagated = [
      [null, mask(4, 4, [[0, 0], [3, 3]])],
      [null, mask(4, 4, [[1, 0], [3, 2]])],
    ];
    expect(samMaskIou(propagated, gt)).toBeCloseTo((1 + 1 / 3) / 2, 12);
    // Nothing propagated: frame 0 -> 1, frame 1 -> 0.
    expect(samMaskIou([], gt)).toBe(0.5);
  });

  it('resizes predictions to the GT size by nearest neighbour', () => {
    const small = mask(2, 2, [[0, 0]]);
    expect(Array.from(resizeMaskNearest(small, 4, 4).data)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(samMaskIou([[small]], [[rect(4, 4, [0, 0, 1, 1])]])).toBe(1);
  });
});

describe('handle_rewards', () => {
  const all = { structure: 1.35, totalFrameReward: 1.6, totalOverlapReward: -0.2, avgIou: 0.5, avgRatio: 0.8, objectNumMismatch: -0.25, samIou: 0.4 };

  it('cumulated + alpha_k (frame + overlap) + alpha_k_ratio ratio + alpha_a iou + mismatch + alpha_g sam', () => {
    // 1.35 + 1 * 1.4 + 1 * 0.8 + 1 * 0.5 - 0.25 + 1 * 0.4 = 4.2
    expect(combineVosReward(all, DEFAULT_VOS_REWARD_WEIGHTS)).toBeCloseTo(4.2, 12);
    // alpha_k 2, alpha_k_ratio 0, alpha_a 0.5, alpha_g 2 (the later script): 1.35 + 2.8 + 0 + 0.25 - 0.25 + 0.8 = 4.95
    expect(combineVosReward(all, { alphaK: 2, alphaKRatio: 0, alphaA: 0.5, alphaG: 2 })).toBeCloseTo(4.95, 12);
  });

  it('missing parts count 0; no keyframes -> structure only, never clipped', () => {
    expect(combineVosReward({ structure: 0.6, totalFrameReward: 0.4, totalOverlapReward: -0.5 }, DEFAULT_VOS_REWARD_WEIGHTS)).toBeCloseTo(0.5, 12);
    expect(combineVosReward({ structure: 0.2 }, DEFAULT_VOS_REWARD_WEIGHTS, true)).toBe(0.2);
  });

  it('--clip-reward: structure alone when the rest is <= 0', () => {
    const penalised = { structure: 1.6, totalFrameReward: 0.4, totalOverlapReward: -0.5 }; // rest = -0.1
    expect(combineVosReward(penalised, DEFAULT_VOS_REWARD_WEIGHTS, false)).toBeCloseTo(1.5, 12);
    expect(combineVosReward(penalised, DEFAULT_VOS_REWARD_WEIGHTS, true)).toBe(1.6);
    expect(combineVosReward(all, DEFAULT_VOS_REWARD_WEIGHTS, true)).toBeCloseTo(4.2, 12);
  });
});

describe('VOS reward of a group (vos_reward)', () => {
  // 8 frames of 32 x 16, one object: a 10 x 10 square at [10,2,19,11] on frames 2..5.
  const square: Box = [10, 2, 19, 11];
  const target = vosTarget([Array.from({ length: 8 }, (_, f) => (f >= 2 && f <= 5 ? rect(32, 16, square) : mask(32, 16)))]);
  const ans = (times: string[]) => `<think>t</think><answer>${times.map((t) => JSON.stringify({ start_time: t, end_time: t, description: 'Square.' })).join('\n')}</answer>`;
  const completions = [ans(['00:01.00', '00:01.50']), 'no answer', ans(['00:03.50'])];
  const resize = { resizedHw: [16, 32], originalHw: [16, 32] } as const;

  it('derives the target as generate_bbox does', () => {
    expect(target.objectBoxes[0]![2]).toEqual(square);
    expect(target.objectBoxes[0]![0]).toEqual(DUMMY_BOX);
    expect(target.objectPixels[0]).toEqual([0, 0, 100, 100, 100, 100, 0, 0]);
  });

  it('one grounding call, one segmenter call, all parts combined', async () => {
    const ground = vi.fn(async (requests: readonly { description: string }[]) => requests.map(() => ({ text: box(square), resize })));
    const segment = vi.fn<SegmentRollouts>(async (requests) =>
      requests.map((r) => r.prompts.map(() => Array.from({ length: 8 }, (_, f) => (f >= 2 && f <= 5 ? rect(32, 16, square) : null)))),
    );
    const out = await vosRewards(completions, target, { ground, segment });
    expect(ground).toHaveBeenCalledTimes(1);
    expect(ground.mock.calls[0]![0]).toEqual([
      { rollout: 0, keyframe: 0, frameIndex: 2, description: 'Square.' },
      { rollout: 0, keyframe: 1, frameIndex: 3, description: 'Square.' },
      { rollout: 2, keyframe: 0, frameIndex: 7, description: 'Square.' },
    ]);
    expect(segment).toHaveBeenCalledTimes(1);
    expect(segment.mock.calls[0]![0].map((r) => r.rollout)).toEqual([0, 2]);
    // Rollout 0: structure (0.4 + 0.4 + 0.4 + 1 + 1) / 2 = 1.6; frames 2 + 3 -> 0.8; overlap 0; ratio 100/(100+1e-6);
    // IoU 1; mismatch 0; SAM J = 1 on every frame. Total 1.6 + 0.8 + 0.99999999 + 1 + 0 + 1.
    expect(out[0]!.reward).toBeCloseTo(1.6 + 0.8 + 100 / 100.000001 + 1 + 1, 10);
    // Rollout 1: no JSON -> 0, and no grounding request.
    expect(out[1]!.reward).toBe(0);
    // Rollout 2: frame 7 has no object. structure 0.6; frame reward 0.4; ratio 0; IoU: GT empty -> no valid pair -> 0;
    // SAM: prediction on frames 2..5 matches the GT -> J = 1 everywhere. 0.6 + 0.4 + 0 + 0 + 0 + 1 = 2.0
    expect(out[2]!.reward).toBeCloseTo(2, 12);
  });

  it('alpha_g = 0 never calls the segmenter and (authors\' quirk) drops the box terms too', async () => {
    const ground = async (requests: readonly unknown[]) => requests.map(() => ({ text: box(square), resize }));
    const segment = vi.fn<SegmentRollouts>();
    const out = await vosRewards(completions, target, { ground, segment, weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 0 } });
    expect(segment).not.toHaveBeenCalled();
    // Rollout 0: structure 1.6 + frame reward 0.8 only.
    expect(out[0]!.reward).toBeCloseTo(2.4, 12);
    expect(out[0]!.parts.avgIou).toBeUndefined();
  });

  it('reads the target masks once per group, and only for the mask term', async () => {
    const ground = async (requests: readonly unknown[]) => requests.map(() => ({ text: box(square), resize }));
    const segment: SegmentRollouts = async (requests) => requests.map((r) => r.prompts.map(() => Array.from({ length: 8 }, () => null)));
    const reads = vi.fn(() => target.masks());
    const counted = { ...target, masks: reads };
    await vosRewards(completions, counted, { ground, segment, weights: { ...DEFAULT_VOS_REWARD_WEIGHTS, alphaG: 0 } });
    expect(reads).not.toHaveBeenCalled();
    const out = await vosRewards(completions, counted, { ground, segment });
    expect(reads).toHaveBeenCalledTimes(1);
    // Nothing propagated: J = 0 on frames 2..5 where the object is, 1 on the 4 empty/empty frames.
    expect(out[0]!.parts.samIou).toBeCloseTo(0.5, 12);
  });

  it('a failed segmenter call keeps only the keyframe terms; rollouts without a usable box too', async () => {
    const ground = async (requests: readonly unknown[]) => requests.map(() => ({ text: 'I cannot find it', resize }));
    const segment = vi.fn<SegmentRollouts>(async () => null);
    const noBox = await vosRewards(completions, target, { ground, segment });
    expect(segment).not.toHaveBeenCalled(); // no rollout has a box
    expect(noBox[0]!.reward).toBeCloseTo(2.4, 12);
    const failed = await vosRewards(completions, target, { ground: async (r) => r.map(() => ({ text: box(square), resize })), segment });
    expect(segment).toHaveBeenCalledTimes(1);
    expect(failed[0]!.reward).toBeCloseTo(2.4, 12);
  });
});

describe('RefAVS reward', () => {
  it('IoU of the first box with the first-frame GT box (scaled)', () => {
    expect(refAvsBoxReward(box([10, 10, 19, 19]), [10, 10, 19, 19], same)).toBe(1);
    // Scaled: GT [20,20,39,39] * 0.5 = [10,10,19.5,19.5] (area 10.5^2 = 110.25); prediction [10,10,19,19] (100): IoU 100/110.25.
    expect(refAvsBoxReward(box([10, 10, 19, 19]), [20, 20, 39, 39], half)).toBeCloseTo(100 / 110.25, 6);
  });

  it('empty GT quirks: the scaled dummy box overlaps a missing prediction', () => {
    // Scale 1: GT [-1,-1,-1,-1] and prediction [-1,-1,-1,-1] are the same 1-pixel box -> IoU 1.
    expect(refAvsBoxReward('no box', DUMMY_BOX, same)).toBe(1);
    // Scale 0.5: GT [-0.5 x4]; inter = max(0, -1 + 0.5 + 1)^2 = 0.25; union 1 + 1 - 0.25 = 1.75 -> 1/7.
    expect(refAvsBoxReward('no box', DUMMY_BOX, half)).toBe(Math.fround(0.25 / 1.75));
  });

  it('an empty answer scores 0 without grounding; others are grounded in one batch', async () => {
    const ground = vi.fn(async (requests: readonly { answer: string }[]) => requests.map(() => ({ text: box([10, 10, 19, 19]), resize: same })));
    const out = await refAvsRewards(['<think>x</think><answer>  </answer>', '<answer>the man singing</answer>'], [15, 10, 24, 19], ground);
    expect(ground).toHaveBeenCalledTimes(1);
    expect(ground.mock.calls[0]![0]).toEqual([{ rollout: 1, answer: 'the man singing' }]);
    expect(out).toEqual([0, Math.fround(1 / 3)]);
  });
});
