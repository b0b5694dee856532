import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from 'omni-r1';
import { parseSam2Config } from '../../src/config.js';
import { JsonReader } from '../../src/json.js';
import { resizeBilinear } from '../../src/resize.js';
import { initSam2Weights, sam2TensorSpecs, sam2VideoTensorSpecs } from '../../src/train/init-weights.js';
import { nanoSam2Config, nanoSam2VideoConfig } from '../../src/train/nano-config.js';
import { trainSegmenter } from '../../src/train/run.js';
import { evaluatePropagation } from '../../src/train/evaluate-video.js';
import { trainingClip } from '../../src/train/video-data.js';
import { trainVideoStage } from '../../src/train/video-run.js';
import { bilinearResizeMatrix, clipMemorySelection, isVideoStageTrainable, VIDEO_TRAIN_INPUTS } from '../../src/train/video-train-graph.js';
import { readVideoConfig } from '../../src/video/video-config.js';
import { videoGraphBuilders } from '../../src/video/video-graphs.js';
import { Sam2Weights } from '../../src/weights.js';

const SIZE = 64;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sam2-video-stage-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const videoConfigOf = (size: number) => {
  const config = parseSam2Config(new JsonReader(nanoSam2VideoConfig(nanoSam2Config({ imageSize: size })), 'nano/config.json', '', 'a nano config'));
  return { config, video: readVideoConfig(config, 'nano/config.json') };
};

describe('nano SAM2 video model', () => {
  it('the config is a valid sam2_video config; the tensor specs are exactly what the video graphs read', () => {
    const { config, video } = videoConfigOf(SIZE);
    expect(config.modelType).toBe('sam2_video');
    expect(video.numMaskmem).toBe(3);
    expect(video.memoryAttention.ropeFeatSizes).toEqual([SIZE / 16, SIZE / 16]);
    const specs = sam2VideoTensorSpecs(config, video);
    const weights = initSam2Weights(config, 0, [...sam2TensorSpecs(config), ...specs]);
    const read = new Set<string>();
    for (const build of Object.values(videoGraphBuilders('nano/config.json'))) {
      const graph = build(config, Sam2Weights.fromMap('nano', weights));
      for (const name of graph.initializers.keys()) read.add(name);
    }
    // Every video tensor the graphs use exists with the spec's shape (a missing one throws while building)...
    const videoNames = specs.map(([name]) => name);
    // ...and every spec is used, except the two Sam2VideoModel parameters no inference path reads.
    expect(videoNames.filter((n) => !read.has(n)).sort()).toEqual(['mask_downsample.bias', 'mask_downsample.weight', 'no_memory_positional_encoding']);
    // The mask downsampler grows channels 1 -> 4 -> 16 -> 64 -> 256 (stride 2 four times to the 1/16 grid).
    expect(weights.get('memory_encoder.mask_downsampler.layers.3.conv.weight')!.shape).toEqual([256, 64, 3, 3]);
    expect(weights.get('memory_encoder.mask_downsampler.final_conv.weight')!.shape).toEqual([64, 256, 1, 1]);
    expect(weights.get('memory_encoder.memory_fuser.layers.0.scale')!.data[0]).toBeCloseTo(1e-6, 12);
    expect(weights.get('memory_attention.layers.0.cross_attn_image.k_proj.weight')!.shape).toEqual([64, 64]);
  });

  it('the bilinear resize matrix is F.interpolate(align_corners=False): hand values for 2 -> 4, and U X U^T = resizeBilinear(X)', () => {
    expect(Array.from(bilinearResizeMatrix(2, 4))).toEqual([1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
    const n = 4;
    const m = 12;
    const x = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 1.7));
    const u = bilinearResizeMatrix(n, m);
    const expected = resizeBilinear({ channels: 1, height: n, width: n, data: x }, m, m).data;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let v = 0;
        for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) v += u[i * n + a]! * x[a * n + b]! * u[j * n + b]!;
        expect(v).toBeCloseTo(expected[i * m + j]!, 5);
      }
    }
  });

  it('frame t reads the conditioning frame at the last slot, tracked frames at slot steps - 1, pointers by temporal difference', () => {
    expect(clipMemorySelection(1, 3, 16)).toEqual({ spatial: [{ frame: 0, slot: 2 }], pointers: [{ frame: 0, difference: 1 }] });
    expect(clipMemorySelection(3, 3, 16)).toEqual({
      spatial: [
        { frame: 0, slot: 2 },
        { frame: 2, slot: 0 },
        { frame: 1, slot: 1 },
      ],
      pointers: [
        { frame: 0, difference: 3 },
        { frame: 2, difference: 1 },
        { frame: 1, difference: 2 },
      ],
    });
    // num_maskmem 2: only one tracked frame behind.
    expect(clipMemorySelection(3, 2, 16).spatial).toEqual([
      { frame: 0, slot: 1 },
      { frame: 2, slot: 0 },
    ]);
  });

  it('a clip is a pure function of (seed, index): frame 0 box prompt as corners 2/3, a not-a-point for tracking, one target per frame', () => {
    const size = 128;
    const mask = size / 4;
    const a = trainingClip(5, 3, 3, size, mask);
    const b = trainingClip(5, 3, 3, size, mask);
    expect(a[VIDEO_TRAIN_INPUTS.pixels]!.shape).toEqual([3, 3, size, size]);
    expect(Array.from(a[VIDEO_TRAIN_INPUTS.pixels]!.data as Float32Array)).toEqual(Array.from(b[VIDEO_TRAIN_INPUTS.pixels]!.data as Float32Array));
    expect(Array.from(a[VIDEO_TRAIN_INPUTS.labels]!.data as BigInt64Array | number[], Number)).toEqual([2, 3]);
    expect(Array.from(a[VIDEO_TRAIN_INPUTS.trackLabels]!.data as BigInt64Array | number[], Number)).toEqual([-1]);
    const targets = a[VIDEO_TRAIN_INPUTS.targets]!;
    expect(targets.shape).toEqual([3, mask, mask]);
    // The (jittered) box surrounds frame 0's target: every on pixel of the quarter-size target lies near the box.
    const [x0, y0, x1, y1] = Array.from(a[VIDEO_TRAIN_INPUTS.points]!.data as Float32Array) as [number, number, number, number];
    const first = (targets.data as Float32Array).subarray(0, mask * mask);
    expect(first.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    const slack = 0.2 * Math.max(x1 - x0, y1 - y0) + 4;
    first.forEach((v, i) => {
      if (!v) return;
      const x = (i % mask) * 4 + 2;
      const y = Math.floor(i / mask) * 4 + 2;
      expect(x >= x0 - slack && x <= x1 + slack && y >= y0 - slack && y <= y1 + slack).toBe(true);
    });
  });

  it('freezes Hiera + FPN and trains the rest', () => {
    expect(isVideoStageTrainable('vision_encoder.backbone.blocks.0.attn.qkv.weight')).toBe(false);
    expect(isVideoStageTrainable('shared_image_embedding.positional_embedding')).toBe(false);
    expect(isVideoStageTrainable('memory_attention.layers.0.linear1.weight')).toBe(true);
    expect(isVideoStageTrainable('mask_decoder.iou_token.weight')).toBe(true);
  });
});

describe('omni train segmenter --stage video', () => {
  it('a 2-step run from an image-stage run: sam2_video checkpoint, frozen encoder, exported folder propagates', async () => {
    const image = join(root, 'image');
    await trainSegmenter({ out: image, seed: 1, imageSize: SIZE, batch: 1, objects: 1, steps: 1, warmupSteps: 1, threads: 1, noExport: true });
    await expect(trainVideoStage({ out: join(root, 'bad'), from: join(root, 'missing'), steps: 1, seed: 0 })).rejects.toThrow(/--from .*missing is neither a checkpoint folder/);

    const out = join(root, 'video');
    const result = await trainVideoStage({ out, from: image, steps: 2, seed: 0, frames: 2, batch: 1, warmupSteps: 1, threads: 1 });
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.lastLoss)).toBe(true);
    const config = JSON.parse(await readFile(join(result.checkpoint, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.model_type).toBe('sam2_video');

    const read = async (dir: string, name: string) => {
      const c = await openCheckpoint(join(dir, 'model.safetensors'));
      try {
        return Array.from((await c.read(name)).data as Float32Array);
      } finally {
        await c.close();
      }
    };
    const from = join(image, 'checkpoints/step-000001');
    const frozen = 'vision_encoder.backbone.blocks.0.attn.qkv.weight';
    expect(await read(result.checkpoint, frozen)).toEqual(await read(from, frozen));
    const decoder = 'mask_decoder.iou_token.weight';
    expect(await read(result.checkpoint, decoder)).not.toEqual(await read(from, decoder));
    const memory = 'memory_attention.layers.0.linear1.weight';
    const nano = videoConfigOf(SIZE);
    const fresh = initSam2Weights(nano.config, 0, [...sam2TensorSpecs(nano.config), ...sam2VideoTensorSpecs(nano.config, nano.video)]);
    expect(await read(result.checkpoint, memory)).not.toEqual(Array.from(fresh.get(memory)!.data as Float32Array));

    // Stopping after step 1 and running again resumes from out's newest checkpoint: the same losses and weights.
    const split = join(root, 'split');
    const common = { from: image, steps: 2, seed: 0, frames: 2, batch: 1, warmupSteps: 1, threads: 1 };
    await trainVideoStage({ ...common, out: split, stopAfter: 1, noExport: true });
    await trainVideoStage({ ...common, out: split, noExport: true });
    const losses = async (dir: string) => (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    expect(await losses(split)).toEqual(await losses(out));
    expect(await read(join(split, 'checkpoints/step-000002'), memory)).toEqual(await read(result.checkpoint, memory));

    // --memory-from: the memory modules start as that run's (lr 0 keeps them, so the checkpoint shows the start).
    const warm = await trainVideoStage({ ...common, seed: 5, out: join(root, 'warm'), memoryFrom: out, lr: 0, steps: 1, noExport: true });
    expect(await read(warm.checkpoint, memory)).toEqual(await read(result.checkpoint, memory));
    expect(await read(warm.checkpoint, frozen)).toEqual(await read(from, frozen));
    await expect(trainVideoStage({ ...common, out: join(root, 'bad-memory'), memoryFrom: join(root, 'missing') })).rejects.toThrow(/--memory-from .*missing is neither/);

    const scores = await evaluatePropagation(result.model!, { seed: 3, videos: 1, frames: 4, keyframes: 1, width: 64, height: 48 });
    expect(scores.mode).toBe('propagate');
    expect(scores.objects).toBeGreaterThan(0);
    expect(scores.jf).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
