/**
 * System 2 in the training reward sees each keyframe at the grounding pixel budget (as the authors' fetch_image and
 * the inference pipeline do), and its replies carry both sizes, so a box in resized pixels maps back to the frame.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groundingFor, refAvsBoxReward, refAvsGroundingFor, type TrainingProblem } from '../../../src/core/grpo/index.js';
import type { ChatMessage, PolicyBackend } from '../../../src/plugins/api.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-system2-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePng(name: string, width: number, height: number): Promise<string> {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([(i * 7) % 256, (i * 13) % 256, 90, 255], i * 4);
  const path = join(dir, name);
  await writeFile(path, PNG.sync.write(png));
  return path;
}

/** A grounding model that records the size of each image it is shown and answers with a fixed box. */
function recordingGrounding(answer: string): { backend: PolicyBackend; sizes: Array<[number, number]> } {
  const sizes: Array<[number, number]> = [];
  const backend: PolicyBackend = {
    name: 'recording',
    async generate(messages: ChatMessage[]) {
      for (const part of messages[0]!.content) if (typeof part !== 'string' && part.type === 'image' && part.image) sizes.push([part.image.width, part.image.height]);
      return [{ text: answer, tokenIds: [], logProbs: [], finishReason: 'eos' as const }];
    },
    async close() {},
  };
  return { backend, sizes };
}

describe('System 2 grounding images in training', () => {
  it('VOS keyframes: resized to the default 4..1600 x 28 x 28 budget (a 30x20 frame -> 84x56), sizes in the reply', async () => {
    // smart_resize(20, 30): 28x28 < min_pixels 3136 -> beta = sqrt(3136 / 600); h = ceil(20 beta / 28) 28 = 56, w = ceil(30 beta / 28) 28 = 84.
    const frames = [await writePng('f0.png', 30, 20), await writePng('f1.png', 30, 20)];
    const problem: TrainingProblem = { id: 'p', task: 'vos', messages: async () => [], target: { framePaths: frames } };
    const { backend, sizes } = recordingGrounding('{"bbox_2d": [0, 0, 42, 28]}');
    const replies = await groundingFor({ grounding: backend })(problem)([
      { rollout: 0, keyframe: 0, frameIndex: 1, description: 'the dog' },
      { rollout: 1, keyframe: 0, frameIndex: 0, description: 'the cat' },
    ]);
    expect(sizes).toEqual([
      [84, 56],
      [84, 56],
    ]);
    expect(replies.map((r) => r.resize)).toEqual([
      { resizedHw: [56, 84], originalHw: [20, 30] },
      { resizedHw: [56, 84], originalHw: [20, 30] },
    ]);
  });

  it('VOS keyframes: a smaller budget scales a 200x150 frame down to 112x84', async () => {
    // max_pixels 16 x 784 = 12544 < 30000: beta = sqrt(30000 / 12544); h = floor(150 / beta / 28) 28 = 84, w = floor(200 / beta / 28) 28 = 112.
    const frame = await writePng('big.png', 200, 150);
    const problem: TrainingProblem = { id: 'q', task: 'vos', messages: async () => [], target: { framePaths: [frame] } };
    const { backend, sizes } = recordingGrounding('');
    const [reply] = await groundingFor({ grounding: backend, budget: { minPixels: 4 * 784, maxPixels: 16 * 784 } })(problem)([
      { rollout: 0, keyframe: 0, frameIndex: 0, description: 'x' },
    ]);
    expect(sizes).toEqual([[112, 84]]);
    expect(reply!.resize).toEqual({ resizedHw: [84, 112], originalHw: [150, 200] });
  });

  it('RefAVS: the first frame at the budget; a box in resized pixels scores against the scaled ground truth', async () => {
    const frame = await writePng('avs.png', 30, 20);
    const problem: TrainingProblem = { id: 'r', task: 'refavs', messages: async () => [], target: { box: [0, 0, 15, 10], expression: 'x', framePath: frame } };
    // The ground truth [0, 0, 15, 10] in 30x20 pixels is [0, 0, 42, 28] in the 84x56 image the model saw.
    const { backend, sizes } = recordingGrounding('{"bbox_2d": [0, 0, 42, 28]}');
    const [reply] = await refAvsGroundingFor({ grounding: backend })(problem)([{ rollout: 0, answer: 'the drum' }]);
    expect(sizes).toEqual([[84, 56]]);
    expect(reply!.resize).toEqual({ resizedHw: [56, 84], originalHw: [20, 30] });
    expect(refAvsBoxReward(reply!.text, [0, 0, 15, 10], reply!.resize)).toBeCloseTo(1, 6);
  });
});
