/**
 * The nano thinker's initial checkpoint through the existing loaders: config, tokenizer, chat template, weights,
 * `exportPolicy`, and a multimodal forward of the exported folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, renderGroundingPrompt, renderVosPrompt, vosSftTarget, vosTarget, type ChatMessage, type RgbImage } from 'omni-r1';
import { loadChatTemplate } from '../../src/chat-template.js';
import { loadQwenConfig } from '../../src/config.js';
import { exportPolicy } from '../../src/model/export.js';
import { createQwenOmniPolicy } from '../../src/hooks/backends.js';
import { QwenTokenizer } from '../../src/tokenizer.js';
import { nanoThinkerConfig, writeNanoThinkerCheckpoint, type NanoThinkerCheckpoint } from '../../src/nano/index.js';

let root: string;
let nano: NanoThinkerCheckpoint;
const size = nanoThinkerConfig();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nano-thinker-'));
  nano = await writeNanoThinkerCheckpoint(join(root, 'init'), { seed: 3 });
}, 30_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeNanoThinkerCheckpoint', () => {
  it('writes a Qwen2.5-Omni thinker config.json that loadQwenConfig reads with the nano sizes', async () => {
    const config = await loadQwenConfig(nano.dir);
    expect(config.kind).toBe('qwen2_5_omni_thinker');
    expect(config.architecture).toBe('Qwen2_5OmniThinkerForConditionalGeneration');
    const { text } = config;
    expect([text.hiddenSize, text.intermediateSize, text.numHiddenLayers, text.numAttentionHeads, text.numKeyValueHeads, text.headDim]).toEqual([192, 512, 4, 6, 2, 32]);
    // The BPE tokens + 22 added tokens, padded to a multiple of 64.
    expect(text.vocabSize).toBe(Math.ceil((nano.regularVocabSize + 22) / 64) * 64);
    expect(text.vocabSize).toBeGreaterThan(nano.regularVocabSize + 21);
    expect(text.tieWordEmbeddings).toBe(false);
    const thinker = config.thinker!;
    expect(thinker.vision.outHiddenSize).toBe(192);
    expect(thinker.audio.outputDim).toBe(192);
    expect([thinker.vision.depth, thinker.vision.hiddenSize, thinker.vision.numHeads]).toEqual([size.vision.depth, size.vision.hiddenSize, size.vision.numHeads]);
    expect([thinker.audio.encoderLayers, thinker.audio.dModel]).toEqual([size.audio.encoderLayers, size.audio.dModel]);
    // The mrope split of the 7B ([16, 24, 24] of 64) scaled to head_dim / 2 = 16.
    expect(text.rope.mropeSection).toEqual([4, 6, 6]);
  });

  it("gives the special tokens the ids config.json names, and the tokenizer's ids agree", async () => {
    const config = await loadQwenConfig(nano.dir);
    const tokenizer = await QwenTokenizer.load(nano.dir);
    const ids = config.thinker!.tokenIds;
    const base = nano.regularVocabSize;
    // Qwen2.5-Omni's order after the regular vocabulary: endoftext, im_start, im_end, AUDIO, audio_bos, audio_eos, ...
    expect(tokenizer.encode('<|endoftext|><|im_start|><|im_end|><|AUDIO|><|audio_bos|><|audio_eos|>')).toEqual([base, base + 1, base + 2, base + 3, base + 4, base + 5]);
    expect([ids.audio, ids.audioStart, ids.audioEnd]).toEqual([base + 3, base + 4, base + 5]);
    expect([ids.visionStart, ids.visionEnd, ids.image, ids.video]).toEqual([base + 9, base + 10, base + 12, base + 13]);
    expect(tokenizer.encode('<|vision_bos|><|vision_eos|><|IMAGE|><|VIDEO|>')).toEqual([base + 9, base + 10, base + 12, base + 13]);
    expect(tokenizer.special.imEnd.id).toBe(base + 2);
    expect(ids.user).toBe(tokenizer.encode('user')[0]);
    expect(tokenizer.encode('user')).toHaveLength(1);
    expect(config.eosTokenIds).toEqual([base + 2]);
    const generation = JSON.parse(await readFile(join(nano.dir, 'generation_config.json'), 'utf8')) as { eos_token_id: number[] };
    expect(generation.eos_token_id).toEqual([base + 2, base]);
  });

  it('round-trips an SFT answer and a grounding answer through the tokenizer, with whole words as single tokens', async () => {
    const tokenizer = await QwenTokenizer.load(nano.dir);
    const masks = [[0, 1, 1, 0].map((v) => ({ width: 1, height: 1, data: Uint8Array.of(v) }))];
    const answer = vosSftTarget({ ...vosTarget(masks), expression: 'the object making the high beep', frameIndices: [], framePaths: [] });
    expect(answer).toContain('"start_time": "00:00.50"');
    expect(tokenizer.decode(tokenizer.encode(answer))).toBe(answer);
    const grounding = '<think>The object is at the box.</think><answer>[{"bbox_2d": [12, 40, 97, 110]}]</answer>';
    expect(tokenizer.decode(tokenizer.encode(grounding))).toBe(grounding);
    // The synthetic vocabulary was in the BPE corpus: each word is one token (with its leading space).
    expect(tokenizer.tokenize(' the object making the high beep')).toEqual(['Ġthe', 'Ġobject', 'Ġmaking', 'Ġthe', 'Ġhigh', 'Ġbeep']);
    // Digits stay single tokens (Qwen's pre-tokenizer splits them).
    expect(tokenizer.tokenize('2025')).toEqual(['2', '0', '2', '5']);
    // Non-corpus text still round-trips through the byte fallback.
    expect(tokenizer.decode(tokenizer.encode('Zürich 🙂'))).toBe('Zürich 🙂');
    // The System 1 prompt is compact: fewer than 500 tokens for the ~1900-character template.
    const prompt = renderVosPrompt({ expression: 'the large red circle', frameCount: 8, seed: 1 });
    expect(tokenizer.encode(prompt).length).toBeLessThan(prompt.length / 3.5);
    expect(tokenizer.decode(tokenizer.encode(renderGroundingPrompt('the red circle')))).toBe(renderGroundingPrompt('the red circle'));
  });

  it('carries the Qwen2.5-Omni chat template in chat_template.json and tokenizer_config.json', async () => {
    const template = await loadChatTemplate(nano.dir);
    const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'video', frames: [] }, { type: 'text', text: 'the red circle' }] }];
    expect(template.render(messages, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_bos|><|VIDEO|><|vision_eos|>the red circle<|im_end|>\n<|im_start|>assistant\n',
    );
    const fromConfig = JSON.parse(await readFile(join(nano.dir, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
    const fromFile = JSON.parse(await readFile(join(nano.dir, 'chat_template.json'), 'utf8')) as { chat_template: string };
    expect(fromConfig.chat_template).toBe(fromFile.chat_template);
  });

  it("initialises weights as transformers' _init_weights: N(0, 0.02) matrices, zero biases, unit norms", async () => {
    const checkpoint = await openCheckpoint(nano.dir);
    try {
      const names = checkpoint.names();
      const values = async (name: string) => Array.from((await checkpoint.read(name)).data as Float32Array);
      expect(new Set(await values('model.layers.0.input_layernorm.weight'))).toEqual(new Set([1]));
      expect(new Set(await values('visual.merger.ln_q.weight'))).toEqual(new Set([1]));
      expect(new Set(await values('audio_tower.ln_post.weight'))).toEqual(new Set([1]));
      expect(new Set(await values('audio_tower.ln_post.bias'))).toEqual(new Set([0]));
      expect(new Set(await values('model.layers.3.self_attn.q_proj.bias'))).toEqual(new Set([0]));
      for (const name of ['model.embed_tokens.weight', 'lm_head.weight', 'model.layers.1.mlp.gate_proj.weight', 'visual.patch_embed.proj.weight', 'audio_tower.conv1.weight']) {
        const v = await values(name);
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
        expect(Math.abs(mean), name).toBeLessThan(0.002);
        expect(Math.abs(std / 0.02 - 1), name).toBeLessThan(0.03);
      }
      // Parameter count by hand: text (embedding, 4 layers, norm, lm_head) + vision + audio tower.
      const V = (await loadQwenConfig(nano.dir)).text.vocabSize;
      const layer = 192 * 192 + 192 + 2 * (64 * 192 + 64) + 192 * 192 + 3 * 192 * 512 + 2 * 192;
      const text = 2 * V * 192 + 4 * layer + 192;
      // Vision blocks: norm1/norm2, separate q/k/v and proj with biases, SwiGLU with biases; merger ln_q over 64, MLP 4*64 -> 256 -> 192.
      const visionBlock = 2 * 64 + 4 * (64 * 64 + 64) + 2 * (192 * 64 + 192) + (64 * 192 + 64);
      const vision = 64 * 3 * 2 * 14 * 14 + 2 * visionBlock + 64 + (256 * 256 + 256) + (192 * 256 + 192);
      // Whisper layers: k_proj without bias; the unused audio_bos_eos_token embedding (2 x 192) is written too.
      const audioLayer = 3 * (64 * 64 + 64) + 64 * 64 + (256 * 64 + 256) + (64 * 256 + 64) + 4 * 64;
      const audio = 64 * 128 * 3 + 64 + 64 * 64 * 3 + 64 + 2 * audioLayer + 2 * 64 + 192 * 64 + 192 + 2 * 192;
      expect(nano.parameters).toBe(text + vision + audio);
      expect(names).toHaveLength(new Set(names).size);
    } finally {
      await checkpoint.close();
    }
  });

  it('is deterministic in its seed', async () => {
    const again = await writeNanoThinkerCheckpoint(join(root, 'again'), { seed: 3 });
    const other = await writeNanoThinkerCheckpoint(join(root, 'other'), { seed: 4 });
    const bytes = (dir: string) => readFile(join(dir, 'model.safetensors'));
    expect((await bytes(again.dir)).equals(await bytes(nano.dir))).toBe(true);
    expect((await bytes(other.dir)).equals(await bytes(nano.dir))).toBe(false);
    expect(await readFile(join(other.dir, 'tokenizer.json'), 'utf8')).toBe(await readFile(join(nano.dir, 'tokenizer.json'), 'utf8'));
  }, 20_000);

  it('exports with exportPolicy under 15 MB, and the exported policy runs a video + audio prompt', async () => {
    const out = join(root, 'policy');
    const { manifest } = await exportPolicy({ from: nano.dir, out, dtype: 'fp32' });
    const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    expect(bytes).toBeGreaterThan(8e6);
    expect(bytes).toBeLessThan(15e6);
    const policy = await createQwenOmniPolicy({ device: 'cpu', model: out, omniHome: root, options: {}, log: () => {}, warn: () => {} });
    try {
      const frame = (value: number): RgbImage => ({ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).fill(value) });
      const pcm = Float32Array.from({ length: 16_000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 2000 * i) / 16_000));
      const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'video', frames: [frame(40), frame(200)] }, { type: 'audio', pcm }, { type: 'text', text: 'the object making the high beep' }] }];
      const [completion] = await policy.generate(messages, { maxNewTokens: 3, temperature: 0 });
      expect(completion!.tokenIds.length).toBeGreaterThan(0);
      expect(completion!.logProbs.every((v) => Number.isFinite(v) && v <= 0)).toBe(true);
    } finally {
      await policy.close();
    }
  }, 30_000);
});
