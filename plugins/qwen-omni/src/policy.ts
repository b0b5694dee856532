/**
 * The qwen-omni `policy` backend: chat messages -> the checkpoint's chat template -> tokens -> generation on
 * an exported policy folder (see generate/). Text-only prompts run entirely here; prompts with image, video
 * or audio parts go to a multimodal processor (the vision/audio towers and TMRoPE positions), which turns
 * them into inputs_embeds + 3-axis position ids + rope delta.
 */
import { OmniError, type ChatMessage, type Completion, type PolicyBackend, type SamplingOptions } from 'omni-r1';
import { loadChatTemplate, type ChatTemplate } from './chat-template.js';
import { generate, type GenerateOptions } from './generate/generate.js';
import { loadGenerationDefaults, type GenerationDefaults } from './generate/generation-config.js';
import { PolicyModel, type PolicySessionOptions } from './generate/policy-model.js';
import { loadPolicyModelFolder } from './model/index.js';
import type { EmbeddedPrompt, PolicyPrompt } from './generate/prompt.js';
import { scoreCompletions } from './generate/score.js';
import { QwenTokenizer } from './tokenizer.js';

export const POLICY_BACKEND_NAME = 'qwen-omni';

/** What a multimodal processor gets to build a prompt from messages with media parts. */
export interface ProcessorContext {
  dir: string;
  model: PolicyModel;
  tokenizer: QwenTokenizer;
  template: ChatTemplate;
  useAudioInVideo: boolean;
}

/** Turns messages with image/video/audio parts into the decoder's prompt (the generation prompt appended). */
export interface MultimodalProcessor {
  prepare(messages: readonly ChatMessage[], context: ProcessorContext): Promise<EmbeddedPrompt>;
  /** Frees what the processor opened (encoder sessions); called by the policy's close(). */
  release?(): Promise<void>;
}

export interface QwenOmniPolicyOptions extends PolicySessionOptions {
  processor?: MultimodalProcessor;
}

/** A completion with the log-probs under the sampling distribution too (see generate/generate.ts). */
export interface QwenCompletion extends Completion {
  /** Under the raw model distribution (temperature 1): what scoreCompletions returns. */
  logProbs: number[];
  samplingLogProbs: number[];
}

export class QwenOmniPolicy implements PolicyBackend {
  readonly name = POLICY_BACKEND_NAME;

  private constructor(
    readonly dir: string,
    readonly model: PolicyModel,
    readonly tokenizer: QwenTokenizer,
    readonly template: ChatTemplate,
    readonly defaults: GenerationDefaults,
    private readonly processor?: MultimodalProcessor,
  ) {}

  /** Opens an exported policy folder (onnx/, tokenizer files, chat template, generation_config.json). */
  static async load(dir: string, options: QwenOmniPolicyOptions = {}): Promise<QwenOmniPolicy> {
    const folder = await loadPolicyModelFolder(dir);
    // In order, so a folder missing several files always names the same (first) one.
    const tokenizer = await QwenTokenizer.load(dir);
    const template = await loadChatTemplate(dir);
    const defaults = await loadGenerationDefaults(dir);
    const { processor, ...sessionOptions } = options;
    const model = await PolicyModel.fromFolder(folder, sessionOptions);
    return new QwenOmniPolicy(dir, model, tokenizer, template, defaults, processor);
  }

  /** Tokens that end a completion: generation_config's eos ids and the tokenizer's (eos, <|im_end|>, <|endoftext|>). */
  get eosTokenIds(): number[] {
    return [...new Set([...this.defaults.eosTokenIds, ...this.tokenizer.stopTokenIds])];
  }

  /** The prompt text for `messages`, ending with the assistant turn's opening. */
  renderPrompt(messages: readonly ChatMessage[]): string {
    const { eos, bos } = this.tokenizer.special;
    return this.template.render(messages, { addGenerationPrompt: true, variables: { eos_token: eos.content, bos_token: bos?.content ?? '' } });
  }

  async prompt(messages: readonly ChatMessage[], useAudioInVideo = false): Promise<PolicyPrompt> {
    if (messages.length === 0) throw new OmniError('the policy got no messages', { exitCode: 2 });
    const media = [...new Set(messages.flatMap((m) => m.content.filter((part) => part.type !== 'text').map((part) => part.type)))];
    if (media.length === 0) return { inputIds: this.tokenizer.encode(this.renderPrompt(messages)) };
    if (!this.processor) {
      throw new OmniError(`messages with ${media.join('/')} parts need the Qwen2.5-Omni multimodal processor, and this policy was loaded without one`, {
        hint: 'send text-only messages, or load the policy with { processor: new FolderMultimodalProcessor() } (createQwenOmniPolicy does)',
      });
    }
    return this.processor.prepare(messages, { dir: this.dir, model: this.model, tokenizer: this.tokenizer, template: this.template, useAudioInVideo });
  }

  async generate(messages: ChatMessage[], sampling: SamplingOptions, signal?: AbortSignal): Promise<QwenCompletion[]> {
    const prompt = await this.prompt(messages, sampling.useAudioInVideo ?? false);
    const numSamples = sampling.numSamples ?? 1;
    const streams = sampling.onToken ? Array.from({ length: numSamples }, () => new TextStream(this.tokenizer)) : [];
    const result = await generate(this.model, prompt, {
      ...this.samplingDefaults(sampling),
      maxNewTokens: sampling.maxNewTokens,
      numSamples,
      seed: sampling.seed,
      eosTokenIds: this.eosTokenIds,
      stopStrings: sampling.stop,
      decode: (ids) => this.tokenizer.decode(ids),
      signal,
      onToken: sampling.onToken
        ? (event) => {
            const text = streams[event.sample]!.push(event.tokenId, event.finishReason !== undefined);
            if (text) sampling.onToken!(text, event.sample);
          }
        : undefined,
    });
    return result.samples.map((sample) => ({
      text: this.tokenizer.decode(sample.tokenIds, { skipSpecialTokens: true }),
      tokenIds: sample.tokenIds,
      logProbs: sample.logProbs,
      samplingLogProbs: sample.samplingLogProbs,
      finishReason: sample.finishReason,
    }));
  }

  /** Scores against the prompt generate() builds for the same messages and use_audio_in_video (default false, as there). */
  async scoreCompletions(messages: ChatMessage[], completions: number[][], options: Pick<SamplingOptions, 'useAudioInVideo'> = {}): Promise<number[][]> {
    const prompt = await this.prompt(messages, options.useAudioInVideo ?? false);
    return scoreCompletions(this.model, prompt, completions, { padTokenId: this.defaults.padTokenId ?? this.tokenizer.special.pad?.id });
  }

  async close(): Promise<void> {
    await Promise.all([this.model.release(), this.processor?.release?.()]);
  }

  /**
   * Sampling settings: the caller's, else generation_config.json's. A temperature of 0 means greedy; a
   * positive one, sampling; none given, the checkpoint's do_sample (default greedy).
   */
  private samplingDefaults(sampling: SamplingOptions): Pick<GenerateOptions, 'doSample' | 'temperature' | 'topP' | 'topK' | 'repetitionPenalty'> {
    const d = this.defaults;
    const temperature = sampling.temperature ?? d.temperature ?? 1;
    const doSample = sampling.temperature !== undefined ? sampling.temperature > 0 : (d.doSample ?? false);
    return {
      doSample,
      temperature: doSample ? temperature : 1,
      topP: sampling.topP ?? d.topP ?? 1,
      topK: sampling.topK ?? d.topK ?? 0,
      repetitionPenalty: d.repetitionPenalty ?? 1,
    };
  }
}

/**
 * Incremental detokenization for streaming: each new token yields the text it adds, held back while the
 * text ends in an incomplete UTF-8 sequence (decoded as U+FFFD) until a later token completes it.
 */
export class TextStream {
  private readonly tokens: number[] = [];
  private printed = 0;

  constructor(private readonly tokenizer: QwenTokenizer) {}

  push(tokenId: number, last = false): string {
    this.tokens.push(tokenId);
    const text = this.tokenizer.decode(this.tokens, { skipSpecialTokens: true });
    if (!last && text.endsWith('\uFFFD')) return '';
    const delta = text.slice(this.printed);
    this.printed = text.length;
    return delta;
  }
}
