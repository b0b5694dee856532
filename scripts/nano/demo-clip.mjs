#!/usr/bin/env node
// Writes the README's demo clip, assets/demo/high-beep.mp4 (+ demo.json), with `omni data synth`: a 5 s, 192x144
// synthetic clip with sound in which one object (a purple square) makes the high beep. The same ffmpeg gives the same
// bytes every time; `--check` regenerates into a temporary folder and compares instead of writing.
//   node scripts/nano/demo-clip.mjs [--out DIR] [--check]
// Needs the built CLI (npm run build).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failer, parseScriptArgs, repoRoot } from './script-cli.mjs';

// Found by searching seeds for a one-video dataset whose "high beep" object is visible on every frame and is the only
// object that sounds, so its white sound rim (frames 1-9) shows which object it is.
const SYNTH = { format: 'revos', videos: 1, frames: 10, size: '192x144', seed: 2058 };
const VIDEO = 'synth-2058-0000';
const QUESTION = 'the object making the high beep';
const CLIP = 'high-beep.mp4';
// The nano thinker is trained on the VOS prompt (Fig. 3); `--task auto` would pick the RefAVS prompt for a question
// about a sound, which it was not trained on.
const INFER_FLAGS = ['--task', 'vos'];
const DEMO_JSON = 'demo.json';

const USAGE = 'usage: node scripts/nano/demo-clip.mjs [--out DIR] [--check]';
const fail = failer('demo-clip');
// A failure inside the work folder's try: thrown so that `finally` removes the folder before the script exits.
class ClipError extends Error {}

const values = parseScriptArgs(fail, USAGE, { out: { type: 'string' }, check: { type: 'boolean', default: false } });
const out = values.out ?? join(repoRoot, 'assets', 'demo');
const bin = join(repoRoot, 'bin', 'run.js');
if (!existsSync(join(repoRoot, 'dist', 'commands', 'data', 'synth.js'))) fail('the CLI is not built (run npm run build)', 1);

let failure;
const work = mkdtempSync(join(tmpdir(), 'omni-demo-clip-'));
try {
  const data = join(work, 'synth');
  const args = ['data', 'synth', '--format', SYNTH.format, '--videos', String(SYNTH.videos), '--frames', String(SYNTH.frames), '--size', SYNTH.size, '--seed', String(SYNTH.seed), '--out', data];
  execFileSync(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const record = JSON.parse(readFileSync(join(data, 'omni-synth.json'), 'utf8'));
  const video = record.videoRecords.find((v) => v.name === VIDEO);
  const expression = video?.expressions.find((e) => e.text === QUESTION);
  if (!expression || expression.objectIds.length !== 1) throw new ClipError(`${VIDEO} no longer has the expression "${QUESTION}" for one object (did the synthesizer change? search another seed)`);
  const object = video.objects[expression.objectIds[0]];
  const demo = {
    clip: CLIP,
    question: QUESTION,
    inferFlags: INFER_FLAGS,
    answer: { objectId: expression.objectIds[0], kind: object.kind, colour: object.colour, sound: object.sound },
    source: { command: `omni data synth ${args.slice(2, -2).join(' ')}`, video: VIDEO, synthVersion: record.synthVersion, frames: record.frames, width: record.width, height: record.height, fps: record.fps },
    regenerate: 'node scripts/nano/demo-clip.mjs',
  };
  const staged = join(work, 'demo');
  mkdirSync(staged);
  copyFileSync(join(data, VIDEO, 'video.mp4'), join(staged, CLIP));
  writeFileSync(join(staged, DEMO_JSON), `${JSON.stringify(demo, null, 2)}\n`);

  if (values.check) {
    const differs = [CLIP, DEMO_JSON].filter((name) => !existsSync(join(out, name)) || !readFileSync(join(out, name)).equals(readFileSync(join(staged, name))));
    if (differs.length > 0) throw new ClipError(`${differs.map((name) => join(out, name)).join(', ')} differ from a fresh run (re-run without --check to rewrite them)`);
    process.stdout.write(`${out} matches a fresh run\n`);
  } else {
    mkdirSync(out, { recursive: true });
    for (const name of [CLIP, DEMO_JSON]) copyFileSync(join(staged, name), join(out, name));
    process.stdout.write(`wrote ${join(out, CLIP)} ("${QUESTION}": the ${object.colour} ${object.kind})\n`);
  }
} catch (error) {
  if (!(error instanceof ClipError)) throw error;
  failure = error.message;
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failure) fail(failure, 1);
