#!/usr/bin/env node
// The nano SAM2 measurements of docs/nano.md on an exported segmenter folder: exact box prompts on held-out
// synthetic scenes (seed 1001) and propagation from ground-truth boxes on 4 keyframes of held-out synthetic videos
// (seed 2002, 16 frames), DAVIS J and F per object. Needs the built plugin (npm run build).
//
//   node scripts/nano/segmenter-eval.mjs --model DIR [--size 256] [--scenes 150] [--videos 20] [--scene-seed 1001] [--video-seed 2002] [--json]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failer, parseScriptArgs, repoRoot as root } from './script-cli.mjs';

const usage = 'usage: node scripts/nano/segmenter-eval.mjs --model DIR [--size 256] [--scenes 150] [--videos 20] [--scene-seed 1001] [--video-seed 2002] [--json]';
const fail = failer('segmenter-eval');
const values = parseScriptArgs(fail, usage, {
  model: { type: 'string' },
  size: { type: 'string', default: '256' },
  scenes: { type: 'string', default: '150' },
  videos: { type: 'string', default: '20' },
  'scene-seed': { type: 'string', default: '1001' },
  'video-seed': { type: 'string', default: '2002' },
  json: { type: 'boolean', default: false },
});
if (!values.model) fail(`--model is missing (${usage})`);
const counts = {};
for (const name of ['size', 'scenes', 'videos', 'scene-seed', 'video-seed']) {
  counts[name] = Number(values[name]);
  if (!Number.isInteger(counts[name]) || counts[name] < 0) fail(`--${name} must be a non-negative integer, got ${values[name]}`);
}
const plugin = join(root, 'plugins', 'sam2', 'dist', 'index.js');
if (!existsSync(plugin)) fail(`${plugin} does not exist (build first: npm run build)`);
const { evaluateBoxPrompts, evaluatePropagation } = await import(pathToFileURL(plugin).href);
const { OmniError } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);

try {
  const size = { width: counts.size, height: counts.size };
  const started = Date.now();
  const boxes = counts.scenes > 0 ? await evaluateBoxPrompts(values.model, { seed: counts['scene-seed'], scenes: counts.scenes, ...size }) : undefined;
  const propagation = counts.videos > 0 ? await evaluatePropagation(values.model, { seed: counts['video-seed'], videos: counts.videos, frames: 16, keyframes: 4, ...size }) : undefined;
  const seconds = (Date.now() - started) / 1000;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ model: values.model, size: counts.size, sceneSeed: counts['scene-seed'], videoSeed: counts['video-seed'], boxes, propagation, seconds }, null, 2)}\n`);
  } else {
    const f = (x) => x.toFixed(3);
    if (boxes) process.stdout.write(`box prompts (${counts.scenes} scenes of seed ${counts['scene-seed']}, ${boxes.objects} objects, ${counts.size} px): J ${f(boxes.j)} F ${f(boxes.f)} J&F ${f(boxes.jf)}\n`);
    if (propagation) {
      const p = propagation;
      process.stdout.write(`${p.mode} from 4 keyframes (${p.videos} videos of seed ${counts['video-seed']}, ${p.objects} objects, ${counts.size} px): J ${f(p.j)} F ${f(p.f)} J&F ${f(p.jf)}; keyframes alone ${f(p.keyframeJf)}\n`);
    }
  }
} catch (error) {
  if (OmniError && error instanceof OmniError) fail(error.message);
  throw error;
}
