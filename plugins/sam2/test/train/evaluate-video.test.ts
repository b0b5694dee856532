import { describe, expect, it } from 'vitest';
import type { BinaryMask, FrameMasks, FramePrompts, FrameSource, RgbImage, SegmentPrompt } from 'omni-r1/plugin-api';
import { maskBox, MIN_OBJECT_FRACTION } from '../../src/train/data.js';
import { heldOutVideo, keyframeBoxPrompts, keyframeIndices, scorePropagation, type PropagatingSegmenter } from '../../src/train/evaluate-video.js';

const OPTIONS = { seed: 4242, videos: 2, frames: 8, keyframes: 3, width: 64, height: 64 };

describe('propagation evaluation with ground-truth keyframe boxes', () => {
  it('spreads keyframes evenly from the first frame to the last', () => {
    expect(keyframeIndices(16, 4)).toEqual([0, 5, 10, 15]);
    expect(keyframeIndices(8, 3)).toEqual([0, 4, 7]);
    expect(keyframeIndices(3, 4)).toEqual([0, 1, 2]);
    expect(keyframeIndices(9, 1)).toEqual([0]);
  });

  it('prompts every object visible enough on a keyframe with its exact box', () => {
    const video = heldOutVideo(OPTIONS.seed, 0, OPTIONS.frames, 64, 64);
    const prompts = keyframeBoxPrompts(video, [0, 4, 7]);
    for (const t of [0, 4, 7]) {
      const expected = video.masks.flatMap((m, id) => (video.visibleArea[id]![t]! >= MIN_OBJECT_FRACTION * 64 * 64 ? [{ objectId: id, box: maskBox(m[t]!) }] : []));
      expect(prompts.find((p) => p.frameIndex === t)?.prompts ?? []).toEqual(expected);
    }
    expect(prompts.flatMap((p) => p.prompts).length).toBeGreaterThan(0);
  });

  it('an oracle propagating segmenter scores 1; a keyframes-only one scores the empty frames it misses', async () => {
    const videos = Array.from({ length: OPTIONS.videos }, (_, v) => heldOutVideo(OPTIONS.seed, v, OPTIONS.frames, 64, 64));
    let video = 0;
    const oracle: PropagatingSegmenter = {
      canPropagate: true,
      async *propagate(source: FrameSource, prompts: FramePrompts[]): AsyncIterable<FrameMasks> {
        const ids = new Set(prompts.flatMap((p) => p.prompts.map((q) => q.objectId)));
        const truth = videos[video++]!;
        for (let t = 0; t < source.frameCount; t++) yield { frameIndex: t, masks: new Map([...ids].map((id) => [id, truth.masks[id]![t]!])) };
      },
      segmentImage: async () => new Map(),
    };
    const perfect = await scorePropagation(oracle, OPTIONS);
    expect(perfect).toMatchObject({ mode: 'propagate', videos: 2, j: 1, f: 1, jf: 1, keyframeJf: 1 });

    // Keyframes only: the exact mask where prompted, nothing elsewhere. DAVIS J of a frame is 1 when both masks are
    // empty and 0 when only the ground truth has pixels, so an object's J is the fraction of its frames that are
    // prompted or where it is not visible.
    const keyframesOnly: PropagatingSegmenter = {
      canPropagate: false,
      async segmentImage(image: RgbImage, prompts: SegmentPrompt[]): Promise<Map<number, BinaryMask>> {
        const same = (a: RgbImage) => Buffer.from(a.data).equals(Buffer.from(image.data));
        const truth = videos.find((v) => v.frames.some(same))!;
        const t = truth.frames.findIndex(same);
        return new Map(prompts.map((p) => [p.objectId, truth.masks[p.objectId]![t]!]));
      },
    };
    const partial = await scorePropagation(keyframesOnly, OPTIONS);
    const expected: number[] = [];
    for (const truth of videos) {
      const prompts = keyframeBoxPrompts(truth, keyframeIndices(OPTIONS.frames, OPTIONS.keyframes));
      const ids = new Set(prompts.flatMap((p) => p.prompts.map((q) => q.objectId)));
      for (const id of ids) {
        let good = 0;
        for (let t = 0; t < OPTIONS.frames; t++) {
          const prompted = prompts.some((p) => p.frameIndex === t && p.prompts.some((q) => q.objectId === id));
          if (prompted || truth.visibleArea[id]![t] === 0) good += 1;
        }
        expected.push(good / OPTIONS.frames);
      }
    }
    expect(partial.mode).toBe('keyframes');
    expect(partial.objects).toBe(expected.length);
    expect(partial.j).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / expected.length, 12);
    expect(partial.j).toBeLessThan(1);
    expect(partial.keyframeJf).toBe(1);
  });
});
