/**
 * A small byte-level BPE learned on a fixed text, laid out like the Qwen2 vocabulary: ids 0..255 are the 256 byte
 * symbols in GPT-2's bytes_to_unicode order (Qwen's id 0 is "!"), then one token per merge in merge order.
 */

/** The Qwen2 pre-tokenizer pattern, exactly as tokenizer.json stores it (Split, Isolated). */
export const QWEN2_PRETOKENIZER_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// The same pattern for training in JS, which lacks the (?i:...) group: its contractions spelled out in both cases.
const TRAINING_SPLIT =
  /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Array<string>(256);
  for (const b of printable) map[b] = String.fromCodePoint(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCodePoint(256 + next++);
  }
  return map;
}

/** The byte symbols in vocabulary order: printable bytes first, then the remapped ones. */
function baseAlphabet(byteMap: string[]): string[] {
  return [...byteMap].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

export interface ByteLevelBpe {
  vocab: Record<string, number>;
  /** Merges as `"left right"` strings, in rank order. */
  merges: string[];
}

/** Learns up to `mergeCount` merges on `text`; the most frequent pair first, ties broken by the pair's text. */
export function trainByteLevelBpe(text: string, mergeCount: number): ByteLevelBpe {
  const byteMap = bytesToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const piece of text.match(TRAINING_SPLIT) ?? []) {
    const symbols = Array.from(encoder.encode(piece), (b) => byteMap[b]).join('\u0000');
    wordCounts.set(symbols, (wordCounts.get(symbols) ?? 0) + 1);
  }
  let words = [...wordCounts].map(([symbols, count]) => ({ symbols: symbols.split('\u0000'), count }));

  const vocab: Record<string, number> = {};
  for (const symbol of baseAlphabet(byteMap)) vocab[symbol] = Object.keys(vocab).length;
  const merges: string[] = [];
  while (merges.length < mergeCount) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1;
    for (const [pair, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== undefined && pair < best)) {
        best = pair;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    const [left, right] = best.split(' ');
    const merged = left + right;
    merges.push(best);
    if (vocab[merged] === undefined) vocab[merged] = Object.keys(vocab).length;
    words = words.map(({ symbols, count }) => ({ symbols: mergePair(symbols, left, right), count }));
  }
  return { vocab, merges };
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}
