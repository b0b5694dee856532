import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { InputError } from 'omni-r1';
import { isJsonObject, readJsonFile, type JsonObject } from './json-fields.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

const TOKENIZER_HINT = 'copy tokenizer.json and tokenizer_config.json from the checkpoint the weights came from';

/**
 * The media placeholder tokens, by the attribute names of transformers' Qwen2_5OmniProcessor
 * (`tokenizer.image_token`, ...), with the names the Qwen2.5-Omni vocabulary uses. A tokenizer_config.json
 * with `extra_special_tokens` (transformers >= 4.52) may rename them; those names win.
 */
export const MEDIA_TOKEN_NAMES = {
  audio_token: '<|AUDIO|>',
  audio_bos_token: '<|audio_bos|>',
  audio_eos_token: '<|audio_eos|>',
  image_token: '<|IMAGE|>',
  video_token: '<|VIDEO|>',
  vision_bos_token: '<|vision_bos|>',
  vision_eos_token: '<|vision_eos|>',
} as const;

export type MediaTokenRole = keyof typeof MEDIA_TOKEN_NAMES;

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const END_OF_TEXT = '<|endoftext|>';

/** A token and its id. */
export interface NamedToken {
  content: string;
  id: number;
}

export interface MediaTokenIds {
  audio: NamedToken;
  audioBos: NamedToken;
  audioEos: NamedToken;
  image: NamedToken;
  video: NamedToken;
  visionBos: NamedToken;
  visionEos: NamedToken;
}

/** Special tokens read from the tokenizer files. */
export interface QwenSpecialTokens {
  /** `eos_token` of tokenizer_config.json (`<|im_end|>` for chat checkpoints). */
  eos: NamedToken;
  /** `pad_token`; Qwen uses `<|endoftext|>`. */
  pad?: NamedToken;
  /** `bos_token`; Qwen has none (null). */
  bos?: NamedToken;
  imStart: NamedToken;
  imEnd: NamedToken;
  endOfText: NamedToken;
  /** Undefined when the vocabulary lacks one of them (a text-only Qwen2 tokenizer). */
  media?: MediaTokenIds;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

/** A checkpoint's tokenizer: `tokenizer.json` + `tokenizer_config.json` on `@huggingface/tokenizers`. */
export class QwenTokenizer {
  readonly special: QwenSpecialTokens;
  /** Raw tokenizer_config.json, for the chat template's variables (bos_token, eos_token, ...). */
  readonly tokenizerConfig: JsonObject;

  private constructor(
    private readonly tokenizer: Tokenizer,
    tokenizerConfig: JsonObject,
    configFile: string,
  ) {
    this.tokenizerConfig = tokenizerConfig;
    this.special = readSpecialTokens(this, tokenizerConfig, configFile);
  }

  /** Reads `<dir>/tokenizer.json` and `<dir>/tokenizer_config.json`. */
  static async load(dir: string): Promise<QwenTokenizer> {
    const tokenizerFile = join(dir, TOKENIZER_FILE);
    const configFile = join(dir, TOKENIZER_CONFIG_FILE);
    // One after the other, so that a folder missing both files always reports tokenizer.json first.
    const tokenizerJson = await readJsonFile(tokenizerFile, TOKENIZER_HINT);
    const tokenizerConfig = await readJsonFile(configFile, TOKENIZER_HINT);
    return QwenTokenizer.fromJson(tokenizerJson, tokenizerConfig, { tokenizerFile, configFile });
  }

  /** Builds from parsed file contents; `files` name them in errors. */
  static fromJson(
    tokenizerJson: unknown,
    tokenizerConfig: unknown,
    files: { tokenizerFile: string; configFile: string } = { tokenizerFile: TOKENIZER_FILE, configFile: TOKENIZER_CONFIG_FILE },
  ): QwenTokenizer {
    const { tokenizerFile, configFile } = files;
    if (!isJsonObject(tokenizerJson) || !isJsonObject(tokenizerJson.model)) {
      throw new InputError(`${tokenizerFile} is not a tokenizers JSON file (no "model")`, { file: tokenizerFile, hint: TOKENIZER_HINT });
    }
    if (!isJsonObject(tokenizerConfig)) {
      throw new InputError(`${configFile} must hold a JSON object`, { file: configFile, hint: TOKENIZER_HINT });
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new InputError(`${tokenizerFile} cannot be loaded: ${reason}`, { file: tokenizerFile, hint: TOKENIZER_HINT, cause });
    }
    return new QwenTokenizer(tokenizer, tokenizerConfig, configFile);
  }

  /** Token ids of `text`; special tokens written in the text become their single ids. Qwen adds no bos/eos. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The token strings of `text` (byte-level symbols, e.g. `Ġworld`). */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // @huggingface/tokenizers rejects an empty list.
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of a token (regular or added), or undefined. */
  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  /** Regular vocabulary plus added tokens. */
  get size(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  /** Ids of all added tokens flagged special. */
  get specialTokenIds(): number[] {
    return [...this.tokenizer.get_added_tokens_decoder()].filter(([, token]) => token.special).map(([id]) => id);
  }

  /** Ids that end a completion: eos, `<|im_end|>` and `<|endoftext|>`, without repeats. */
  get stopTokenIds(): number[] {
    const { eos, imEnd, endOfText } = this.special;
    return [...new Set([eos.id, imEnd.id, endOfText.id])];
  }

  /** The media tokens; an InputError when this tokenizer has none (not an omni checkpoint). */
  requireMediaTokens(): MediaTokenIds {
    if (!this.special.media) {
      throw new InputError(`this tokenizer has no ${Object.values(MEDIA_TOKEN_NAMES).join(' ')} tokens`, {
        hint: 'images, video and audio need a Qwen2.5-Omni checkpoint tokenizer',
      });
    }
    return this.special.media;
  }
}

function readSpecialTokens(tokenizer: QwenTokenizer, config: JsonObject, configFile: string): QwenSpecialTokens {
  const lookup = (content: string): NamedToken | undefined => {
    const id = tokenizer.tokenId(content);
    return id === undefined ? undefined : { content, id };
  };
  const require = (content: string, what: string): NamedToken => {
    const token = lookup(content);
    if (!token) throw new InputError(`the tokenizer has no ${what} token ${content}`, { file: configFile, hint: TOKENIZER_HINT });
    return token;
  };
  const named = (key: string): NamedToken | undefined => {
    const content = tokenContent(config[key], key, configFile);
    return content === undefined ? undefined : require(content, key);
  };

  const eos = named('eos_token');
  if (!eos) throw new InputError(`${configFile} names no eos_token`, { file: configFile, hint: TOKENIZER_HINT });
  return {
    eos,
    pad: named('pad_token'),
    bos: named('bos_token'),
    imStart: require(IM_START, 'chat start'),
    imEnd: require(IM_END, 'chat end'),
    endOfText: require(END_OF_TEXT, 'end-of-text'),
    media: readMediaTokens(lookup, config, configFile),
  };
}

function readMediaTokens(lookup: (content: string) => NamedToken | undefined, config: JsonObject, configFile: string): MediaTokenIds | undefined {
  const extra = isJsonObject(config.extra_special_tokens) ? config.extra_special_tokens : {};
  const find = (role: MediaTokenRole) => lookup(tokenContent(extra[role], `extra_special_tokens.${role}`, configFile) ?? MEDIA_TOKEN_NAMES[role]);
  const tokens = {
    audio: find('audio_token'),
    audioBos: find('audio_bos_token'),
    audioEos: find('audio_eos_token'),
    image: find('image_token'),
    video: find('video_token'),
    visionBos: find('vision_bos_token'),
    visionEos: find('vision_eos_token'),
  };
  const entries = Object.entries(tokens);
  if (entries.every(([, token]) => token === undefined)) return undefined;
  const missing = entries.filter(([, token]) => token === undefined).map(([role]) => role);
  if (missing.length > 0) {
    throw new InputError(`the tokenizer has only some Qwen2.5-Omni media tokens (missing ${missing.join(', ')})`, {
      file: configFile,
      hint: TOKENIZER_HINT,
    });
  }
  return tokens as MediaTokenIds;
}

/** A special token as tokenizer_config.json stores it: a string, an AddedToken object, or null. */
function tokenContent(value: unknown, key: string, configFile: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.content === 'string') return value.content;
  throw new InputError(`${configFile}: "${key}" must be a token string`, { file: configFile, hint: TOKENIZER_HINT });
}
