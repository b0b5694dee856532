/**
 * Image grounding problems (the authors' SegZero task): refCOCOg rows and single frames of a ReVOS video, with the
 * SegZero prompt, the SegZero reward and an SFT target the reward parses; registered in `omni train`'s datasets.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRefCocog, openRevos } from '../../../src/core/data/index.js';
import type { VosExpressionItem } from '../../../src/core/data/types.js';
import {
  chamferDistance,
  GROUNDING_TASK,
  groundingRewardScorer,
  groundingSftTarget,
  inscribedCirclePoints,
  refCocogTrainingProblems,
  renderSegZeroPrompt,
  resolveTrainingConfig,
  runTrainCommand,
  segZeroReward,
  segZeroSolutionText,
  sftTargetOf,
  vosGroundingTrainingProblems,
  type GroundingProblemTarget,
  type TrainCommandOptions,
} from '../../../src/core/grpo/index.js';
import { synthesizeDataset } from '../../../src/core/synth/index.js';
import type { BinaryMask, RgbImage } from '../../../src/plugins/api.js';

let dir: string;
let revos: string;
let refcocog: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-grounding-'));
  revos = join(dir, 'revos');
  await synthesizeDataset({ format: 'revos', out: revos, videos: 3, frames: 6, width: 32, height: 32, seed: 4 });
  refcocog = join(dir, 'refcocog');
  await mkdir(join(refcocog, 'data'), { recursive: true });
  await writeFile(join(refcocog, 'data', 'train-00000-of-00001.parquet'), refcocogParquet());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One refCOCOg_2k_840 row: a 40x30 PNG, the box and points of its object in stored-image pixels. */
function refcocogParquet(): Uint8Array {
  const png = new PNG({ width: 40, height: 30 });
  for (let i = 0; i < 40 * 30; i++) png.data.set([i % 256, 80, 160, 255], i * 4);
  const column = (name: string, data: unknown[], type: object) => ({ name, data, ...type });
  const text = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
  const int = { type: 'INT64', repetition_type: 'OPTIONAL' };
  const columns = [
    column('id', ['rc_1'], text),
    column('problem', ['The dog on the left.'], text),
    column('image', [{ bytes: PNG.sync.write(png), path: null }], {}),
    column('solution', ['<box>(4,6),(20,24)</box><points>(10,12),(14,18)</points>'], text),
    column('img_width', [640n], int),
    column('img_height', [480n], int),
  ];
  const buffer = parquetWriteBuffer({
    columnData: columns.map(({ name, data }) => ({ name, data })),
    schema: [
      { name: 'schema', num_children: 6 },
      { name: 'id', ...text },
      { name: 'problem', ...text },
      { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'solution', ...text },
      { name: 'img_width', ...int },
      { name: 'img_height', ...int },
    ],
  } as Parameters<typeof parquetWriteBuffer>[0]);
  return new Uint8Array(buffer);
}

function maskOf(width: number, height: number, inside: (x: number, y: number) => boolean): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 1 : 0;
  return { width, height, data };
}

describe('SegZero prompt', () => {
  it("is segzero.py's QUESTION_TEMPLATE with the lower-cased expression, dots stripped at both ends", () => {
    expect(renderSegZeroPrompt('..The Dog on the left.')).toBe(
      "Please find 'the dog on the left' with bbox and points.Compare the difference between objects and find the most closely matched one." +
        'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags.' +
        'Output the one bbox and points of two largest inscribed circles inside the interested object in JSON format.' +
        'i.e., <think> thinking process here </think><answer>{"bbox_2d": [x1, y1, x2, y2], "points_1": [x3, y3], "points_2": [x4, y4]}</answer>',
    );
  });
});

describe('mask box and inscribed points', () => {
  // A 5x5 square (x, y in 1..5) and a 3x3 square (x 10..12, y 2..4) in a 15x8 frame.
  const mask = maskOf(15, 8, (x, y) => (x >= 1 && x <= 5 && y >= 1 && y <= 5) || (x >= 10 && x <= 12 && y >= 2 && y <= 4));

  it('distance to the background: 3 at the big square centre, 2 at the small one, 1 on the edges', () => {
    const d = chamferDistance(mask);
    expect(d[3 * 15 + 3]).toBe(3);
    expect(d[3 * 15 + 11]).toBe(2);
    expect(d[1 * 15 + 1]).toBe(1);
    expect(d[0]).toBe(0);
  });

  it('points: the largest circle centre, then the largest circle that does not overlap it', () => {
    expect(inscribedCirclePoints(mask)).toEqual([
      [3, 3],
      [11, 3],
    ]);
    expect(inscribedCirclePoints(maskOf(4, 4, () => false))).toBeUndefined();
    expect(segZeroSolutionText([1, 1, 12, 5], [[3, 3], [11, 3]])).toBe('<box>(1,1),(12,5)</box><points>(3,3),(11,3)</points>');
  });
});

describe('SFT target and reward', () => {
  const target: GroundingProblemTarget = {
    expression: 'the dog',
    solution: '<box>(4,6),(20,24)</box><points>(10,12),(14,18)</points>',
    imageWidth: 40,
    imageHeight: 30,
    resizedWidth: 84,
    resizedHeight: 56,
  };

  it('the target answers in resized pixels and earns the full SegZero reward: 1.4 (IoU 1) + 1 + 1 + 1 (strict format)', () => {
    const text = groundingSftTarget(target);
    // int(4 * 84/40) = 8, int(6 * 56/30) = 11, int(20 * 2.1) = 42, int(24 * 1.8667) = 44; points (21, 22), (29, 33).
    expect(text).toContain('<answer>{"bbox_2d": [8, 11, 42, 44], "points_1": [21, 22], "points_2": [29, 33]}</answer>');
    const reward = segZeroReward(text, target);
    expect(reward.iou).toBe(1);
    expect(reward.reward).toBeCloseTo(4.4, 10);
  });

  it('the scorer sums format + accuracy per completion (no System 2), with the SegZero parts', async () => {
    const good = groundingSftTarget(target);
    // Box [8, 11, 42, 44] moved by 10 px in x: box L1 5 -> (30 - 5) 0.05 = 1.25 -> 1; IoU (25 x 34) / (35 x 34 + 35 x 34 - 25 x 34) = 25/45; no points inside -> 0.
    const shifted = '<think>t</think><answer>{"bbox_2d": [18, 11, 52, 44]}</answer>';
    const scored = await groundingRewardScorer({ lenControl: false })({ id: 'g', task: GROUNDING_TASK, messages: async () => [], target }, [
      { text: good, tokenIds: [1], logProbs: [0] },
      { text: shifted, tokenIds: [1], logProbs: [0] },
      { text: 'no answer', tokenIds: [1], logProbs: [0] },
    ]);
    const iou = 25 / 45;
    expect(scored.components.format).toEqual([1, 1, 0]);
    expect(scored.total[0]).toBeCloseTo(1 + 4.4, 10);
    expect(scored.total[1]).toBeCloseTo(1 + (iou > 0.5 ? (iou - 0.5) * 2 + 0.4 : 0) + 0 + 1 + 0, 10);
    expect(scored.total[2]).toBe(0);
    expect(scored.components['segzero/iou']![1]).toBeCloseTo(iou, 10);
  });
});

describe('problem builders', () => {
  it('refCOCOg: SegZero prompt after the image at the fetch_image size, target sizes of the stored and resized image', async () => {
    const problems = await refCocogTrainingProblems(await openRefCocog(refcocog, 'train'), { withMedia: true, seed: 1, prefix: 'refcocog' });
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem!.id).toBe('refcocog/rc_1');
    expect(problem!.task).toBe(GROUNDING_TASK);
    const [image, text] = (await problem!.messages())[0]!.content;
    // smart_resize(30, 40) below min_pixels 3136: beta = sqrt(3136 / 1200), 56 x 84.
    expect(image!.type).toBe('image');
    expect([(image as { image: RgbImage }).image.width, (image as { image: RgbImage }).image.height]).toEqual([84, 56]);
    expect(text).toEqual({ type: 'text', text: renderSegZeroPrompt('The dog on the left.') });
    expect(problem!.target).toEqual({
      expression: 'The dog on the left.',
      solution: '<box>(4,6),(20,24)</box><points>(10,12),(14,18)</points>',
      imageWidth: 40,
      imageHeight: 30,
      resizedWidth: 84,
      resizedHeight: 56,
    });
    expect(segZeroReward(sftTargetOf(problem!), problem!.target as GroundingProblemTarget).reward).toBeCloseTo(4.4, 10);
  });

  it('revos-grounding: one visible frame per expression from the seed, box and points of the objects\' union mask', async () => {
    const build = (seed: number) => openRevos(revos, 'train').then((d) => vosGroundingTrainingProblems(d, { withMedia: false, seed, prefix: 'revos-grounding' }));
    const problems = await build(7);
    expect(problems.length).toBeGreaterThan(0);
    expect((await build(7)).map((p) => p.id)).toEqual(problems.map((p) => p.id));
    const dataset = await openRevos(revos, 'train');
    const items = new Map<string, VosExpressionItem>();
    for await (const item of dataset) items.set(item.id, item);
    for (const problem of problems) {
      // `revos-grounding/<video>/<exp_id>@<frame>`
      const rest = problem.id.slice('revos-grounding/'.length);
      const itemId = rest.slice(0, rest.lastIndexOf('@'));
      const frameText = rest.slice(rest.lastIndexOf('@') + 1);
      const item = items.get(itemId)!;
      const frame = Number(frameText);
      const objects = await item.objectMasks(frame);
      const union: BinaryMask = { width: objects[0]!.mask.width, height: objects[0]!.mask.height, data: new Uint8Array(objects[0]!.mask.data.length) };
      for (const o of objects) o.mask.data.forEach((v, i) => v && (union.data[i] = 1));
      expect(union.data.some((v) => v === 1)).toBe(true);
      const target = problem.target as GroundingProblemTarget;
      const box = /<box>\((\d+),(\d+)\),\((\d+),(\d+)\)<\/box>/.exec(target.solution)!.slice(1).map(Number);
      const xs = [...union.data.keys()].filter((i) => union.data[i]).map((i) => i % union.width);
      const ys = [...union.data.keys()].filter((i) => union.data[i]).map((i) => Math.floor(i / union.width));
      expect(box).toEqual([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
      const points = /<points>\((\d+),(\d+)\),\((\d+),(\d+)\)<\/points>/.exec(target.solution)!.slice(1).map(Number);
      expect(union.data[points[1]! * union.width + points[0]!]).toBe(1);
      expect(union.data[points[3]! * union.width + points[2]!]).toBe(1);
      expect([target.imageWidth, target.imageHeight, target.resizedWidth, target.resizedHeight]).toEqual([32, 32, 56, 56]);
      // System 2's own question (what omni infer asks the grounding model), not SegZero's, about the synthetic
      // grounding description (the objects by their looks), not the expression.
      expect(item.groundingDescription).toMatch(/^(the|all the) /);
      expect(target.expression).toBe(item.groundingDescription);
      expect((await problem.messages())[0]!.content).toEqual([{ type: 'text', text: `Given the expression: '${item.groundingDescription!.toLowerCase().trim()}', ground all the referred objects with json bboxs` }]);
    }
  });

  it('omni train --dataset refcocog / revos-grounding: loaded as grounding problems (dry-run plan)', async () => {
    let printed = '';
    const options: TrainCommandOptions = {
      datasets: [
        { name: 'refcocog', root: refcocog },
        { name: 'revos-grounding', root: revos },
      ],
      out: join(dir, 'never'),
      objective: 'grpo',
      rewards: { alphaG: 0, alphaK: 1, alphaKRatio: 1, alphaA: 1, lenControl: false, clipReward: false },
      sampling: { numGenerations: 2, temperature: 1, topP: 0.95 },
      loss: { beta: 0.04, numIterations: 1, epsilon: 0.2, epsilonHigh: 0.2, lossType: 'grpo', scaleRewards: 'group' },
      optimizer: { lr: 1e-6, weightDecay: 0.01, maxGradNorm: 5 },
      adapter: { kind: 'lora', rank: 2, alpha: 4, targets: ['q_proj'] },
      saveSteps: 10,
      seed: 3,
      dryRun: true,
      from: dir,
      batchSize: 1,
      epochs: 1,
      maxCompletionLength: 8,
      maxFrames: 6,
      warmupRatio: 0,
      sampleSteps: 0,
      trainable: async () => ({ open: () => Promise.reject(new Error('dry run')), estimate: async () => ({ description: 'tiny', parameters: 100, loraParameters: 4 }) }),
      openSystem2: () => Promise.reject(new Error('not needed')),
      log: () => {},
      warn: () => {},
      write: (t) => (printed += t),
    };
    expect(resolveTrainingConfig(options).objective).toBe('grpo');
    await runTrainCommand(options);
    expect(printed).toMatch(/dataset: refcocog at .*: 1 problems/);
    expect(printed).toMatch(/dataset: revos-grounding at .*: [1-9]\d* problems/);
    expect(printed).toMatch(/tasks: grounding \d+/);
  });
});
