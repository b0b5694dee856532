/**
 * End to end with REAL tiny random models: a Qwen2.5-Omni thinker (vision + audio towers) and a SAM2 video model,
 * both exported through `omni export`, on clips from `omni data synth`. A random thinker never writes parsable
 * moments, so the CLI runs check the no-moments path; the segmentation stages run the real SAM2 behind a scripted
 * policy that answers like a trained one.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSam2Backend } from '../../plugins/sam2/src/backend.js';
import { evaluateWithModels, predictItem } from '../../src/core/eval/run-models.js';
import type { EvalSummary, ItemRecord } from '../../src/core/eval/types.js';
import { openRefAvs } from '../../src/core/data/refavs.js';
import { openRevos } from '../../src/core/data/revos.js';
import type { VosExpressionItem } from '../../src/core/data/types.js';
import { probeVideo } from '../../src/core/media/index.js';
import { decodeMaskPng } from '../../src/core/media/mask-png.js';
import { decodeCocoRle, type CocoRle } from '../../src/core/metrics/rle.js';
import { infer } from '../../src/core/pipeline/infer.js';
import type { InferResult } from '../../src/core/pipeline/result.js';
import type { BinaryMask, SegmenterBackend } from '../../src/plugins/api.js';
import { createSandbox, lines, type Sandbox } from '../cli/helpers.js';
import { checkSchema } from '../pipeline/schema-check.js';
import { exportTinyModels, FRAMES, GROUNDING_ANSWER, HEIGHT, ScriptedPolicy, synthRevos, SYSTEM1_ANSWER, WIDTH, type E2eModels } from './fixtures.js';

let sandbox: Sandbox;
let models: E2eModels;
let revos: string;
let refavs: string;
/** `omni data synth` clip: FRAMES frames, WIDTHxHEIGHT, with an audio track. */
let video: string;
let schema: Record<string, unknown>;
let sam2: SegmenterBackend;

beforeAll(async () => {
  sandbox = createSandbox();
  schema = JSON.parse(await readFile(resolve('src/core/pipeline/result.schema.json'), 'utf8')) as Record<string, unknown>;
  models = await exportTinyModels(sandbox);
  revos = join(sandbox.dir, 'revos');
  await synthRevos(sandbox, revos);
  video = join(revos, 'synth-3-0000', 'video.mp4');
  refavs = join(sandbox.dir, 'refavs');
  const synth = await sandbox.run(['data', 'synth', '--format', 'refavs', '--videos', '2', '--size', `${WIDTH}x${HEIGHT}`, '--seed', '3', '--out', refavs]);
  expect(synth.exitCode, synth.stderr).toBe(0);
  sam2 = await createSam2Backend({ device: 'cpu', model: models.segmenter, omniHome: join(sandbox.dir, 'home'), options: {}, log: () => {}, warn: () => {} });
}, 120_000);

afterAll(async () => {
  await sam2?.close();
  sandbox?.cleanup();
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
const area = (mask: BinaryMask): number => mask.data.reduce((sum, v) => sum + (v ? 1 : 0), 0);

describe('omni infer with the real tiny thinker', () => {
  it('random output: exit 0, one warning, the raw answer in result.json, segmentation skipped, schema valid', async () => {
    const out = join(sandbox.dir, 'infer-random');
    const run = await sandbox.run(['infer', video, 'the object making the high beep', '--model', models.policy, '--segmenter-model', models.segmenter, '--out', out, '--max-new-tokens', '16']);
    expect(run.exitCode, run.stderr).toBe(0);
    const warnings = lines(run.stderr).filter((line) => line.startsWith('omni: warning:'));
    expect(warnings, run.stderr).toHaveLength(1);
    expect(warnings[0]).toMatch(/^omni: warning: no parsable moments \(.+\); segmentation skipped\. Raw answer: /);
    const result = await readJson<InferResult>(join(out, 'result.json'));
    expect(checkSchema(result, schema)).toEqual([]);
    // The question refers to sound and the clip has audio: the RefAVS prompt, audio + the first frame.
    expect(result.system1).toMatchObject({ mode: 'refavs', audio: true, sampledFrames: [0] });
    expect(result.status).toBe('no-moments');
    expect(result.answer?.kind).toBe('no-moments');
    expect(result.answer?.raw.length).toBeGreaterThan(0);
    expect(warnings[0]).toContain(result.answer!.raw.replace(/\s+/g, ' ').trim());
    expect(result.segmentation).toMatchObject({ mode: 'skipped', segmenter: 'sam2', framesWithMask: 0 });
    expect(result.keyframes).toEqual([]);
    expect(result.input).toMatchObject({ kind: 'video', width: WIDTH, height: HEIGHT, frameCount: FRAMES, hasAudio: true });
    expect(await readdir(out)).toEqual(['result.json']);
    expect(run.stdout).toContain(`Wrote result: ${join(out, 'result.json')}`);
  });

  it('--no-segment: System 1 alone answers (exit 0, answer present, no segmenter loaded)', async () => {
    const run = await sandbox.run(['infer', video, 'What is in the video?', '--model', models.policy, '--no-segment', '--json', '--max-new-tokens', '8']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as InferResult;
    expect(checkSchema(result, schema)).toEqual([]);
    expect(result.status).toBe('answer-only');
    expect(result.system1).toMatchObject({ mode: 'qa', sampledFrames: Array.from({ length: FRAMES }, (_, i) => i), audio: true });
    expect(result.answer?.kind).toBe('free');
    expect(result.answer?.raw.length).toBeGreaterThan(0);
    expect(result.answer?.text).toBe(result.answer?.raw.trim());
    expect(result.segmentation).toMatchObject({ mode: 'skipped', segmenter: null });
  });
});

describe('infer() segmentation stages with the real tiny SAM2', () => {
  let result: InferResult;
  const out = () => join(sandbox.dir, 'infer-sam2');

  it('every stage runs; one mask PNG of the video size per frame; overlay.mp4 has the source frame count', async () => {
    const policy = new ScriptedPolicy(SYSTEM1_ANSWER, GROUNDING_ANSWER);
    const stages: string[] = [];
    result = await infer(video, 'the square', { policy, segmenter: sam2, task: 'vos', out: out(), warn: () => {}, onStage: (stage, phase) => phase === 'start' && stages.push(stage) });
    expect(stages).toEqual(['probe', 'frames', 'system1', 'grounding', 'segmentation', 'write']);
    expect(result.status).toBe('complete');
    expect(checkSchema(await readJson(join(out(), 'result.json')), schema)).toEqual([]);
    // Moments at 0 s and 2 s of pseudo-time (2 fps) -> samples 0 and 4 of 8 -> frames 0 and 4; one box each.
    expect(result.keyframes.map((k) => [k.frame, k.boxes.map((b) => [b.objectId, ...b.box])])).toEqual([
      [0, [[1, 16, 12, 36, 24]]],
      [4, [[2, 16, 12, 36, 24]]],
    ]);
    expect(result.segmentation.mode).toBe('propagate');
    expect(result.segmentation.segmenter).toBe('sam2');

    const pngs = (await readdir(join(out(), 'masks'))).sort();
    expect(pngs).toEqual(Array.from({ length: FRAMES }, (_, i) => `${String(i).padStart(5, '0')}.png`));
    // Each object's area on every frame, read back from the PNGs (pixel value = object id), is what result.json reports.
    const areas = new Map<number, Map<number, number>>();
    for (const [frame, name] of pngs.entries()) {
      const labels = decodeMaskPng(await readFile(join(out(), 'masks', name)));
      expect([labels.width, labels.height]).toEqual([WIDTH, HEIGHT]);
      for (const id of labels.data) {
        if (id === 0) continue;
        const track = areas.get(id) ?? new Map<number, number>();
        track.set(frame, (track.get(frame) ?? 0) + 1);
        areas.set(id, track);
      }
    }
    expect(result.segmentation.framesWithMask).toBeGreaterThan(0);
    for (const object of result.segmentation.objects) {
      const track = areas.get(object.objectId) ?? new Map<number, number>();
      // Later objects are drawn over earlier ones in the PNG, so an earlier object's visible area can only shrink.
      const visible = object.framesWithMask.map((frame) => track.get(frame) ?? 0);
      visible.forEach((count, i) => expect(count).toBeLessThanOrEqual(object.areas[i]));
      if (object.objectId === Math.max(...result.segmentation.objects.map((o) => o.objectId))) expect(visible).toEqual(object.areas);
    }
    expect(result.files.maskFiles).toBe(FRAMES);
    expect((await probeVideo(join(out(), 'overlay.mp4'))).video.frameCount).toBe(FRAMES);
  }, 60_000);

  it('--rle writes COCO RLE: one track per object over every frame, with the reported areas', async () => {
    const policy = new ScriptedPolicy(SYSTEM1_ANSWER, GROUNDING_ANSWER);
    const rleOut = join(sandbox.dir, 'infer-sam2-rle');
    const rle = await infer(video, 'the square', { policy, segmenter: sam2, task: 'vos', out: rleOut, rle: true, warn: () => {} });
    expect(rle.files).toMatchObject({ maskFormat: 'rle', maskFiles: 1, masks: join(rleOut, 'masks.json') });
    const tracks = await readJson<Record<string, Array<CocoRle | null>>>(join(rleOut, 'masks.json'));
    expect(Object.keys(tracks).sort()).toEqual(rle.segmentation.objects.map((o) => String(o.objectId)).sort());
    for (const object of rle.segmentation.objects) {
      const track = tracks[String(object.objectId)];
      expect(track).toHaveLength(FRAMES);
      const decoded = track.map((entry) => (entry ? decodeCocoRle(entry) : null));
      for (const mask of decoded) if (mask) expect([mask.width, mask.height]).toEqual([WIDTH, HEIGHT]);
      const framesWithMask = decoded.flatMap((mask, frame) => (mask && area(mask) > 0 ? [frame] : []));
      expect(framesWithMask).toEqual(object.framesWithMask);
      expect(framesWithMask.map((frame) => area(decoded[frame]!))).toEqual(object.areas);
    }
    // Deterministic: the same prompts on the same clip give the PNG run's masks.
    expect(rle.segmentation.objects).toEqual(result.segmentation.objects);
    expect((await probeVideo(join(rleOut, 'overlay.mp4'))).video.frameCount).toBe(FRAMES);
  }, 60_000);
});

describe('infer() on a folder of frames with a separate audio file (how omni eval feeds RefAVS items)', () => {
  it('System 1 gets the frames and the audio file\'s 16 kHz samples; without the file, no audio and a warning', async () => {
    const folder = join(revos, 'synth-3-0000');
    const policy = new ScriptedPolicy('<think>beep</think><answer>the square</answer>', GROUNDING_ANSWER);
    const withAudio = await infer(folder, 'the object making the high beep', { policy, segmenter: sam2, audioFile: join(folder, 'audio.wav'), warn: () => {} });
    expect(withAudio.input).toMatchObject({ kind: 'frames', frameCount: FRAMES, hasAudio: true, fps: null });
    expect(withAudio.system1).toMatchObject({ mode: 'refavs', audio: true });
    const audioPart = policy.calls[0][0].content.find((part) => part.type === 'audio');
    // 8 frames at the synth's 2 fps: 4 s of sound at 16 kHz.
    expect(audioPart?.pcm?.length).toBe(4 * 16_000);
    expect(withAudio.status).toBe('complete');

    const warnings: string[] = [];
    const silent = await infer(folder, 'the object making the high beep', { policy, segment: false, warn: (m) => warnings.push(m) });
    expect(silent.input.hasAudio).toBe(false);
    expect(silent.system1?.audio).toBe(false);
    expect(warnings.some((w) => w.includes('has no audio track'))).toBe(true);
  }, 60_000);
});

describe('bad input through the CLI: one clear line, the right exit code', () => {
  /** Progress lines may come first; the error is one `omni:` line, the last, with no stack. */
  const expectOneLine = (stderr: string): string => {
    const printed = lines(stderr);
    const errors = printed.filter((line) => line.startsWith('omni:'));
    expect(errors, stderr).toHaveLength(1);
    expect(printed.at(-1)).toBe(errors[0]);
    expect(stderr).not.toMatch(/^\s+at /m);
    return errors[0];
  };

  it('no model configured', async () => {
    const run = await sandbox.run(['infer', video, 'the square']);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toMatch(/^omni: no policy model configured for the qwen-omni backend: .*\(pass --model <dir> or set \{"models": \{"policy": "<dir>"\}\} in /);
  });

  it('a segmenter folder passed as --model', async () => {
    const run = await sandbox.run(['infer', video, 'the square', '--model', models.segmenter, '--no-segment']);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toMatch(
      new RegExp(`^omni: ${escape(join(models.segmenter, 'omni-manifest.json'))}: this is an "omni-r1/segmenter" model folder, expected an "omni-r1/policy" folder`),
    );
  });

  it('a policy folder passed as --segmenter-model', async () => {
    const run = await sandbox.run(['infer', video, 'the square', '--model', models.policy, '--segmenter-model', models.policy]);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toContain(models.policy);
  });

  it('an unreadable video', async () => {
    const broken = join(sandbox.dir, 'broken.mp4');
    await writeFile(broken, 'not a video at all');
    const run = await sandbox.run(['infer', broken, 'the square', '--model', models.policy, '--no-segment']);
    expect(run.exitCode).toBe(2);
    const line = expectOneLine(run.stderr);
    expect(line).toMatch(/^omni: /);
    expect(line).toContain(broken);
  });
});

/** J on one frame as the evaluators define it: |P n G| / |P u G|, 1 when both are empty. */
function frameIou(pred: BinaryMask, gt: BinaryMask): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < pred.data.length; i += 1) {
    if (pred.data[i] && gt.data[i]) inter += 1;
    if (pred.data[i] || gt.data[i]) union += 1;
  }
  return union === 0 ? 1 : inter / union;
}

async function revosItems(split: string): Promise<VosExpressionItem[]> {
  const items: VosExpressionItem[] = [];
  for await (const item of await openRevos(revos, split)) items.push(item);
  return items;
}

async function perItem(out: string): Promise<ItemRecord[]> {
  const text = await readFile(join(out, 'per_item.jsonl'), 'utf8');
  return lines(text).slice(1).map((line) => JSON.parse(line) as ItemRecord);
}

describe('omni eval without --predictions: run the models, then score', () => {
  it('library: scripted policy + the real tiny SAM2 on a synth ReVOS split; resumes without re-running items', async () => {
    const items = await revosItems('valid');
    expect(items.length).toBeGreaterThan(1);
    const out = join(sandbox.dir, 'eval-sam2');
    const policy = new ScriptedPolicy(SYSTEM1_ANSWER, GROUNDING_ANSWER);
    const options = { dataset: 'revos', dataRoot: revos, split: 'valid', out, models: { policy, segmenter: sam2, warn: () => {} }, modelsLabel: 'scripted + sam2:tiny' };
    const summary: EvalSummary = await evaluateWithModels(options);
    expect(summary.complete).toBe(true);
    expect(summary.counts.scored).toBe(items.length);
    expect(await readJson<EvalSummary>(join(out, 'summary.json'))).toMatchObject({ counts: { scored: items.length } });
    const records = await perItem(out);
    expect(records.map((r) => r.id).sort()).toEqual(items.map((i) => i.id).sort());
    // One System 1 call and two grounding calls per item.
    expect(policy.calls).toHaveLength(3 * items.length);

    // Predictions in the evaluator's layout, <video>/<exp_id>/<frame>.png, at the frame size; J recomputed from them.
    const item = items[0];
    const files = (await readdir(join(out, 'predictions', ...item.id.split('/')))).sort();
    expect(files).toEqual(item.frameNames.map((name) => `${name}.png`).sort());
    const ious: number[] = [];
    for (const [index, name] of item.frameNames.entries()) {
      const labels = decodeMaskPng(await readFile(join(out, 'predictions', ...item.id.split('/'), `${name}.png`)));
      expect([labels.width, labels.height]).toEqual([WIDTH, HEIGHT]);
      ious.push(frameIou({ width: WIDTH, height: HEIGHT, data: labels.data }, await item.masks(index)));
    }
    const record = records.find((r) => r.id === item.id)!;
    expect(record.perFrame?.j).toHaveLength(FRAMES);
    // What the models said goes into the record: System 1's two moments, and System 2's box on each keyframe
    // (GROUNDING_ANSWER is [16, 12, 36, 24] in original pixels).
    expect(record.inference).toEqual({
      status: 'complete',
      moments: [
        { start: '00:00.00', end: '00:00.00', description: 'the square' },
        { start: '00:02.00', end: '00:02.00', description: 'the square again' },
      ],
      keyframes: [
        { frame: 0, description: 'the square', boxes: [[16, 12, 36, 24]] },
        { frame: 4, description: 'the square again', boxes: [[16, 12, 36, 24]] },
      ],
    });
    record.perFrame!.j.forEach((j, i) => expect(j).toBeCloseTo(ious[i], 12));

    // Resume: nothing is predicted again; an item whose record was lost (killed before the append) is scored from
    // its existing prediction folder without running the models.
    const text = await readFile(join(out, 'per_item.jsonl'), 'utf8');
    await writeFile(join(out, 'per_item.jsonl'), `${text.trimEnd().split('\n').slice(0, -1).join('\n')}\n`);
    policy.calls.length = 0;
    const resumed = await evaluateWithModels(options);
    expect(policy.calls).toHaveLength(0);
    expect(resumed.counts.scored).toBe(items.length);
    expect(resumed.timing.scoredThisRun).toBe(1);
    expect(resumed.metrics).toEqual(summary.metrics);
    // The re-scored item was not predicted again, so its record has no answer to show.
    const rescored = (await perItem(out)).at(-1)!;
    expect(rescored.inference).toBeUndefined();
    expect(rescored.jf).toBeCloseTo(records.find((r) => r.id === rescored.id)!.jf, 12);

    // Other models on the same report are refused.
    await expect(evaluateWithModels({ ...options, modelsLabel: 'other' })).rejects.toThrow(/was written with models scripted \+ sam2:tiny, this run has models other/);
  }, 120_000);

  it('an item listing a subset of its folder\'s frames (MeViS-style) is read as exactly those frames', async () => {
    const [item] = await revosItems('valid');
    const keep = [0, 2, 4, 6];
    const subset = { ...item, id: 'subset/0', frameNames: keep.map((i) => item.frameNames[i]), framePaths: keep.map((i) => item.framePaths[i]), masks: (index: number) => item.masks(keep[index]) };
    const predictions = join(sandbox.dir, 'subset-predictions');
    const policy = new ScriptedPolicy('<answer>{"start_time": "00:01.00", "end_time": "00:01.00", "description": "the square"}</answer>', GROUNDING_ANSWER);
    const { warnings, inference } = await predictItem(subset, predictions, { policy, segmenter: sam2, warn: () => {} });
    expect(warnings).toEqual([]);
    expect(inference?.moments).toEqual([{ start: '00:01.00', end: '00:01.00', description: 'the square' }]);
    const videoPart = policy.calls[0][0].content.find((part) => part.type === 'video');
    expect(videoPart?.frames).toHaveLength(keep.length);
    expect((await readdir(join(predictions, 'subset', '0'))).sort()).toEqual(subset.frameNames.map((name) => `${name}.png`).sort());
    // Written once: a second call finds the folder and runs nothing.
    policy.calls.length = 0;
    expect(await predictItem(subset, predictions, { policy, segmenter: sam2 })).toEqual({ warnings: [] });
    expect(policy.calls).toHaveLength(0);

    // --vos-audio: System 1's video part carries the item's audio.wav (use_audio_in_video), as omni infer gives it.
    expect(subset.audioPath).toBe(join(revos, item.video, 'audio.wav'));
    const heard = await predictItem(subset, join(sandbox.dir, 'subset-audio'), { policy, segmenter: sam2 }, { vosAudio: true });
    expect(heard.warnings).toEqual([]);
    const video = policy.calls[0][0].content.find((part) => part.type === 'video');
    expect(video?.pcm?.length).toBeGreaterThan(0);
    const silent = { ...subset, audioPath: undefined };
    await expect(predictItem(silent, join(sandbox.dir, 'subset-silent'), { policy, segmenter: sam2 }, { vosAudio: true })).rejects.toThrow(`${join(revos, item.video, 'audio.wav')} does not exist`);

    // A separate System 2 (--grounding-model): the policy answers System 1 only, the grounding model every keyframe.
    const grounding = new ScriptedPolicy('unused', GROUNDING_ANSWER);
    policy.calls.length = 0;
    const split = await predictItem(subset, join(sandbox.dir, 'subset-grounding'), { policy, grounding, segmenter: sam2 });
    expect(split.inference?.keyframes.map((k) => k.boxes)).toEqual([[[16, 12, 36, 24]]]);
    expect(policy.calls).toHaveLength(1);
    expect(grounding.calls).toHaveLength(1);
    expect(grounding.calls[0][0].content.map((part) => part.type)).toEqual(['image', 'text']);
  }, 60_000);

  it('CLI with the real tiny thinker: random answers -> empty predictions; the run completes and scores (ReVOS)', async () => {
    const items = await revosItems('valid');
    const out = join(sandbox.dir, 'eval-cli');
    const run = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', revos, '--split', 'valid', '--model', models.policy, '--segmenter-model', models.segmenter, '--max-new-tokens', '8', '--out', out, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as EvalSummary;
    expect(summary).toMatchObject({ complete: true, counts: { scored: items.length } });
    const records = await perItem(out);
    expect(records.map((r) => r.id).sort()).toEqual(items.map((i) => i.id).sort());
    // Empty predictions: J = F = 1 on frames whose ground truth is empty, 0 elsewhere.
    for (const item of items) {
      const record = records.find((r) => r.id === item.id)!;
      let empty = 0;
      for (let i = 0; i < item.frameNames.length; i += 1) if (area(await item.masks(i)) === 0) empty += 1;
      expect(record.j).toBeCloseTo(empty / item.frameNames.length, 12);
      expect(record.f).toBeCloseTo(empty / item.frameNames.length, 12);
      expect(record.warnings.some((w) => w.startsWith('inference no-moments'))).toBe(true);
    }
    expect(summary.metrics.jf!.jf).toBeLessThan(50);
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toContain('Overall');
  }, 120_000);

  it('CLI --grounding-model: a second policy serves System 2, named in the report header', async () => {
    const out = join(sandbox.dir, 'eval-cli-grounding');
    const run = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', revos, '--split', 'valid', '--limit', '1', '--model', models.policy, '--grounding-model', models.policy, '--segmenter-model', models.segmenter, '--max-new-tokens', '8', '--out', out, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const header = JSON.parse(lines(await readFile(join(out, 'per_item.jsonl'), 'utf8'))[0]) as { header: { predictedBy: string } };
    expect(header.header.predictedBy).toBe(`qwen-omni:${models.policy} (grounding ${models.policy}) + sam2:${models.segmenter}`);
    // A resume with System 2 left out is other models, and refused.
    const other = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', revos, '--split', 'valid', '--limit', '1', '--model', models.policy, '--segmenter-model', models.segmenter, '--max-new-tokens', '8', '--out', out, '--json']);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain('this run has models');
  }, 120_000);

  it('CLI on RefAVS: the frames folder plus audio.wav go to System 1 with the RefAVS prompt; --limit 2', async () => {
    const out = join(sandbox.dir, 'eval-refavs');
    const run = await sandbox.run(['eval', '--dataset', 'refavs', '--data-root', refavs, '--split', 'test_s', '--limit', '2', '--model', models.policy, '--segmenter-model', models.segmenter, '--max-new-tokens', '8', '--out', out, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as EvalSummary;
    expect(summary).toMatchObject({ complete: false, counts: { scored: 2 } });
    const first: string[] = [];
    for await (const item of await openRefAvs(refavs, 'test_s')) {
      first.push(item.uid);
      if (first.length === 2) break;
    }
    const records = await perItem(out);
    expect(records.map((r) => r.id)).toEqual(first);
    // Forced RefAVS task: a frames folder without its audio.wav would warn "has no audio track" and fall back to VOS.
    for (const record of records) expect(record.warnings.join('\n')).not.toContain('no audio track');
    for (const uid of first) expect((await readdir(join(out, 'predictions', uid))).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${i}.png`).sort());
  }, 120_000);
});
