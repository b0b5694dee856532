import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRevos, synthesizeDataset } from '../../../src/index.js';
import { InputError } from '../../../src/core/errors.js';
import { readAudioPcm } from '../../../src/core/media/index.js';
import { vosTrainingProblems } from '../../../src/core/grpo/loop/vos-problems.js';
import type { VosExpressionItem } from '../../../src/core/data/types.js';
import type { ChatMessage, MessagePart } from '../../../src/plugins/api.js';
import { useAudioInVideoOf } from '../../../plugins/qwen-omni/src/training/prompt.js';

let root: string;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-vos-audio-'));
  data = join(root, 'revos');
  await synthesizeDataset({ format: 'revos', out: data, videos: 2, frames: 4, width: 32, height: 32, seed: 7 });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type VideoPart = MessagePart & { type: 'video' };

function videoPart(messages: ChatMessage[]): VideoPart {
  const part = messages[0]!.content.find((p): p is VideoPart => p.type === 'video');
  if (!part) throw new Error('no video part');
  return part;
}

async function itemsOf(folder: string): Promise<VosExpressionItem[]> {
  const items: VosExpressionItem[] = [];
  for await (const item of await openRevos(folder, 'train')) items.push(item);
  return items;
}

describe('--vos-audio: VOS problems carry the video\'s sound', () => {
  it('a synthetic video\'s items name the audio.wav beside their frames', async () => {
    for await (const item of await openRevos(data, 'train')) expect(item.audioPath).toBe(join(data, item.video, 'audio.wav'));
  });

  it('withAudio puts audio.wav on the video part (use_audio_in_video); without, the prompt has frames only', async () => {
    const dataset = () => openRevos(data, 'train');
    const [withAudio] = await vosTrainingProblems(await dataset(), { maxFrames: 4, withFrames: true, withAudio: true, seed: 0, prefix: 'revos' });
    const [without] = await vosTrainingProblems(await dataset(), { maxFrames: 4, withFrames: true, seed: 0, prefix: 'revos' });
    const heard = videoPart(await withAudio!.messages());
    const wav = await readAudioPcm(join(data, withAudio!.id.split('/')[1]!, 'audio.wav'));
    expect(wav.kind).toBe('pcm');
    if (wav.kind !== 'pcm') return;
    expect(wav.samples.length).toBeGreaterThan(0);
    expect(heard.pcm).toEqual(wav.samples);
    expect(useAudioInVideoOf(await withAudio!.messages())).toBe(true);
    // The same frames either way; only the track differs.
    const silent = videoPart(await without!.messages());
    expect(silent.pcm).toBeUndefined();
    expect(silent.frames).toEqual(heard.frames);
    expect(useAudioInVideoOf(await without!.messages())).toBe(false);
  });

  it('a video without audio.wav: building the problems fails naming the file (frames only still works)', async () => {
    const bare = join(root, 'bare');
    await cp(data, bare, { recursive: true });
    const [first] = (await itemsOf(bare)).map((item) => item.video);
    await rm(join(bare, first!, 'audio.wav'));
    const items = await itemsOf(bare);
    expect(items.find((item) => item.video === first)!.audioPath).toBeUndefined();
    const failure = await vosTrainingProblems(await openRevos(bare, 'train'), { maxFrames: 4, withFrames: false, withAudio: true, seed: 0, prefix: 'revos' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as InputError).line).toBe(
      `${join(bare, first!, 'audio.wav')} does not exist (video ${first}) (--vos-audio reads each video's sound from audio.wav beside its frames (omni data synth writes it; ReVOS and MeViS are video only): add the file or drop --vos-audio)`,
    );
    expect(await vosTrainingProblems(await openRevos(bare, 'train'), { maxFrames: 4, withFrames: true, seed: 0, prefix: 'revos' })).toHaveLength(items.length);
  });
});
