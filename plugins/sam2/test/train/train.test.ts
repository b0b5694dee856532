import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { openCheckpoint, type TensorData } from 'omni-r1';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTrainStep, SeededRandom, Trainer } from 'omni-r1';
import { createSam2Backend } from '../../src/backend.js';
import { parseSam2Config } from '../../src/config.js';
import { JsonReader } from '../../src/json.js';
import { Sam2Weights } from '../../src/weights.js';
import { checkpointTensors, warmStart } from '../../src/train/checkpoint.js';
import { positionEmbedding } from '../../src/model/hiera.js';
import { downsampleMask, jitterBox, maskBox, pickObjects, sceneSamples, trainingBatch, trainingScene } from '../../src/train/data.js';
import { initSam2Weights } from '../../src/train/init-weights.js';
import { nanoSam2Config } from '../../src/train/nano-config.js';
import { METRICS_FILE, trainSegmenter, type StepRecord } from '../../src/train/run.js';
import { buildImageTrainGraph, POS_EMBED_RESIZED } from '../../src/train/train-graph.js';

const SIZE = 64;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sam2-train-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const configOf = (size: number) => parseSam2Config(new JsonReader(nanoSam2Config({ imageSize: size }), 'nano/config.json', '', 'a nano config'));

describe('training data', () => {
  it('samples carry the exact synthetic mask, its tight box, and a jittered box within the bounds', () => {
    const samples = sceneSamples(SeededRandom.fromSeed(3, 0), SIZE, SIZE);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      const [x0, y0, x1, y1] = s.box;
      const ys: number[] = [];
      const xs: number[] = [];
      s.mask.data.forEach((v, i) => v && (xs.push(i % SIZE), ys.push(Math.floor(i / SIZE))));
      expect([x0, y0, x1, y1]).toEqual([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
      const jittered = jitterBox(s.box, SeededRandom.fromSeed(1), SIZE);
      const bound = Math.min(0.1 * Math.max(x1 - x0, y1 - y0), (20 * SIZE) / 1024);
      jittered.forEach((v, i) => expect(Math.abs(v - s.box[i]!)).toBeLessThanOrEqual(bound + 1e-9));
    }
    expect(maskBox({ width: 2, height: 2, data: new Uint8Array(4) })).toBeUndefined();
  });

  it('downsampleMask keeps a pixel when half of its block is on', () => {
    const mask = { width: 4, height: 2, data: Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 0]) };
    expect(Array.from(downsampleMask(mask, 2))).toEqual([1, 0]);
  });

  it('pickObjects takes distinct objects in a random order and cycles through them when the scene has fewer', () => {
    const scene = trainingScene(5, 3, SIZE);
    const picked = pickObjects(scene, scene.length + 2, SeededRandom.fromSeed(1));
    expect(new Set(picked.slice(0, scene.length))).toEqual(new Set(scene));
    expect(picked.slice(scene.length)).toEqual(picked.slice(0, 2));
  });

  it('a batch is a pure function of (seed, first image); each image carries `objects` prompts: boxes as corners 2/3 or a click inside the mask', () => {
    const options = { objects: 3, clickProbability: 0.5 };
    const a = trainingBatch(5, 10, 4, SIZE, SIZE / 4, options);
    const b = trainingBatch(5, 10, 4, SIZE, SIZE / 4, options);
    const c = trainingBatch(5, 14, 4, SIZE, SIZE / 4, options);
    expect(a.input_points!.data).toEqual(b.input_points!.data);
    expect(a.target_masks!.data).toEqual(b.target_masks!.data);
    expect(a.input_points!.data).not.toEqual(c.input_points!.data);
    expect(a.input_boxes!.shape).toEqual([4, 0, 4]);
    expect(a.input_points!.shape).toEqual([4, 3, 2, 2]);
    expect(a.input_labels!.shape).toEqual([4, 3, 2]);
    expect(a.target_masks!.shape).toEqual([4, 3, SIZE / 4, SIZE / 4]);
    const labels = Array.from(a.input_labels!.data as BigInt64Array, Number);
    const points = a.input_points!.data as Float32Array;
    const targets = a.target_masks!.data as Float32Array;
    const cell = (SIZE / 4) ** 2;
    const kinds = new Set<string>();
    for (let image = 0; image < 4; image++) {
      const scene = trainingScene(5, 10 + image, SIZE);
      for (let k = 0; k < 3; k++) {
        const n = image * 3 + k;
        const pair = labels.slice(2 * n, 2 * n + 2).join(',');
        kinds.add(pair);
        // The prompt and the target belong to the same object of this image's scene.
        const target = targets.slice(n * cell, (n + 1) * cell);
        const sample = scene.find((s) => downsampleMask(s.mask, 4).every((v, i) => v === target[i]))!;
        expect(sample).toBeDefined();
        const p = Array.from(points.slice(4 * n, 4 * n + 4));
        if (pair === '1,-1') expect(sample.mask.data[p[1]! * SIZE + p[0]!]).toBe(1);
        else {
          expect(pair).toBe('2,3');
          p.forEach((v, i) => expect(Math.abs(v - sample.box[i]!)).toBeLessThanOrEqual((20 * SIZE) / 1024 + 1e-6));
        }
      }
    }
    expect(kinds.size).toBe(2);
    const boxesOnly = Array.from(trainingBatch(5, 10, 4, SIZE, SIZE / 4, { objects: 3, clickProbability: 0 }).input_labels!.data as BigInt64Array, Number);
    expect(boxesOnly).toEqual(Array.from({ length: 12 }, () => [2, 3]).flat());
  });
});

describe('nano SAM2 image training', () => {
  it('trains every parameter but the Fourier buffers, and lowers the loss on a fixed batch', async () => {
    const config = configOf(SIZE);
    const initial = initSam2Weights(config, 0);
    const built = buildImageTrainGraph(config, Sam2Weights.fromMap('nano', initial));
    expect(built.trainable).toContain(POS_EMBED_RESIZED);
    expect(built.trainable).not.toContain('shared_image_embedding.positional_embedding');
    expect(built.trainable).toContain('mask_decoder.pred_obj_score_head.proj_out.weight');
    const compiled = compileTrainStep(built.graph, { loss: built.terms.loss, metrics: built.terms.metrics, trainable: built.trainable });
    const trainer = await Trainer.create(compiled, { optimizer: { lr: 2e-3, weightDecay: 0 }, maxGradNorm: 1 });
    const batch = trainingBatch(1, 0, 2, SIZE, built.maskSize, { objects: 2, clickProbability: 0.5 });
    const first = await trainer.evaluate(batch);
    for (let i = 0; i < 12; i++) await trainer.trainStep([batch]);
    const last = await trainer.evaluate(batch);
    await trainer.release();
    expect(Number.isFinite(first.loss)).toBe(true);
    expect(last.loss).toBeLessThan(0.7 * first.loss);
    // The trained resized position embedding goes back into pos_embed exactly (same-size resize is the identity).
    const tensors = checkpointTensors(initial, trainer.parameters());
    const pos = trainer.parameters().get(POS_EMBED_RESIZED)!;
    const [, h, w, c] = pos.shape as number[];
    expect(tensors['vision_encoder.backbone.pos_embed']!.data[(3 * h + 1) * w + 2]).toBe((pos.data as Float32Array)[(1 * w + 2) * c! + 3]);
  });

  it('rejects bad recipe options before building anything', async () => {
    const base = { out: join(root, 'bad'), steps: 1, seed: 0 };
    await expect(trainSegmenter({ ...base, objects: 0 })).rejects.toThrow(/--objects must be a positive whole number/);
    await expect(trainSegmenter({ ...base, threads: 1.5 })).rejects.toThrow(/--threads must be a positive whole number/);
    await expect(trainSegmenter({ ...base, clickProbability: 1.5 })).rejects.toThrow(/--click-probability must be within \[0, 1\]/);
  });

  it('resume equals an uninterrupted run; the checkpoint exports and segments', async () => {
    const common = { seed: 2, imageSize: SIZE, batch: 2, objects: 2, steps: 4, checkpointEvery: 2, warmupSteps: 1, threads: 1 };
    const straight = join(root, 'straight');
    await trainSegmenter({ ...common, out: straight, noExport: true });
    const split = join(root, 'split');
    await trainSegmenter({ ...common, steps: 4, out: split, noExport: true, stopAfter: 2 });
    const resumed = await trainSegmenter({ ...common, out: split, resume: split });
    const losses = async (dir: string) =>
      (await readFile(join(dir, METRICS_FILE), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as StepRecord).loss);
    expect(await losses(split)).toEqual(await losses(straight));
    const weights = async (dir: string) => readFile(join(dir, 'checkpoints/step-000004/model.safetensors'));
    expect((await weights(split)).equals(await weights(straight))).toBe(true);

    const backend = await createSam2Backend({ model: resumed.model!, omniHome: root, device: 'cpu', options: {}, log: () => undefined, warn: () => undefined });
    const sample = sceneSamples(SeededRandom.fromSeed(9, 0), 80, 60)[0]!;
    const masks = await backend.segmentImage(sample.image, [{ objectId: 7, box: sample.box }]);
    expect(masks.get(7)!.width).toBe(80);
    expect(masks.get(7)!.height).toBe(60);
    await backend.close();
  });
});

describe('warm start from another run (--from)', () => {
  const f32 = (t: TensorData) => t.data as Float32Array;

  it('copies every tensor; a checkpoint of another input size gets pos_embed as the reference computes it at the new size, window zeroed', () => {
    const small = initSam2Weights(configOf(64), 3);
    const window = small.get('vision_encoder.backbone.pos_embed_window')!;
    f32(window).forEach((_, i, a) => (a[i] = 0.01 * ((i % 7) - 3)));
    const big = initSam2Weights(configOf(128), 4);
    warmStart(big, small, 'small');
    const name = 'mask_decoder.iou_token.weight';
    expect(Array.from(f32(big.get(name)!))).toEqual(Array.from(f32(small.get(name)!)));
    const pos = big.get('vision_encoder.backbone.pos_embed')!;
    const [, c, h, w] = pos.shape as [number, number, number, number];
    expect([h, w]).toEqual([32, 32]);
    const reference = positionEmbedding(
      { shape: [...small.get('vision_encoder.backbone.pos_embed')!.shape], data: f32(small.get('vision_encoder.backbone.pos_embed')!) },
      { shape: [...window.shape], data: f32(window) },
      32,
      32,
    );
    for (const [y, x, k] of [[0, 0, 0], [5, 17, 3], [31, 30, c - 1]] as const) expect(f32(pos)[(k * h + y) * w + x]).toBe(reference[(y * w + x) * c + k]);
    expect(f32(big.get('vision_encoder.backbone.pos_embed_window')!).every((v) => v === 0)).toBe(true);
    // The warm-started model's own position embedding at 128 equals the small model's at 128.
    const own = positionEmbedding({ shape: [...pos.shape], data: f32(pos) }, { shape: [...window.shape], data: f32(big.get('vision_encoder.backbone.pos_embed_window')!) }, 32, 32);
    expect(Array.from(own)).toEqual(Array.from(reference));
  });

  it('names the file and the tensor when one is missing or of another shape; fresh-allowed tensors may be missing', () => {
    const small = initSam2Weights(configOf(64), 3);
    const missing = new Map(small);
    missing.delete('mask_decoder.iou_token.weight');
    expect(() => warmStart(initSam2Weights(configOf(64), 4), missing, '/runs/x')).toThrow(/\/runs\/x\/model.safetensors has no tensor mask_decoder.iou_token.weight/);
    const kept = initSam2Weights(configOf(64), 4);
    const before = Array.from(f32(kept.get('mask_decoder.iou_token.weight')!));
    warmStart(kept, missing, '/runs/x', new Set(['mask_decoder.iou_token.weight']));
    expect(Array.from(f32(kept.get('mask_decoder.iou_token.weight')!))).toEqual(before);
    const wrong = new Map(small);
    wrong.set('mask_decoder.iou_token.weight', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    expect(() => warmStart(initSam2Weights(configOf(64), 4), wrong, '/runs/x')).toThrow(/mask_decoder.iou_token.weight is \[2, 3\], expected/);
  });

  it('trainSegmenter --from a 64 px run at 128 px: the frozen Fourier buffer, recorded in run.json; not with --resume', async () => {
    const source = join(root, 'from-64');
    await trainSegmenter({ out: source, seed: 2, imageSize: 64, batch: 1, objects: 1, steps: 1, warmupSteps: 1, threads: 1, noExport: true });
    const out = join(root, 'from-128');
    const result = await trainSegmenter({ out, from: source, seed: 9, imageSize: 128, batch: 1, objects: 1, steps: 1, warmupSteps: 1, threads: 1, noExport: true });
    const read = async (dir: string, name: string) => {
      const c = await openCheckpoint(join(dir, 'model.safetensors'));
      try {
        const t = await c.read(name);
        return { shape: [...t.shape], data: Array.from(t.data as Float32Array) };
      } finally {
        await c.close();
      }
    };
    const fourier = 'shared_image_embedding.positional_embedding';
    expect(await read(result.checkpoint, fourier)).toEqual(await read(join(source, 'checkpoints/step-000001'), fourier));
    expect((await read(result.checkpoint, 'vision_encoder.backbone.pos_embed')).shape).toEqual([1, 16, 32, 32]);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { from: string; imageSize: number };
    expect(run.from).toBe(join(source, 'checkpoints/step-000001'));
    expect(run.imageSize).toBe(128);
    await expect(trainSegmenter({ out: join(root, 'both'), from: source, resume: source, seed: 0, steps: 2 })).rejects.toThrow(/--from and --resume cannot be combined/);
  }, 60_000);
});
