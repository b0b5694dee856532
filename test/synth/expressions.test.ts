import { describe, expect, it } from 'vitest';
import {
  motionPhrase,
  NEVER_HEARD_SOUND,
  objectPixels,
  SHAPE_PLURALS,
  SIZE_WORDS,
  TONES,
  UNSEEN_KIND,
  type GeneratedVideo,
  type SynthObject,
} from '../../src/core/synth/index.js';
import { smallVideos } from './helpers.js';

const SIZE_BY_WORD = new Map(Object.entries(SIZE_WORDS).map(([size, word]) => [word, size]));
const KIND_BY_PLURAL = new Map(Object.entries(SHAPE_PLURALS).map(([kind, plural]) => [plural, kind]));

/**
 * An independent reading of every expression template: parses the words and selects the objects they describe
 * from the scene's facts. Returns the ids (ascending), or throws on words it does not know.
 */
function interpret(text: string, video: GeneratedVideo): number[] {
  const { scene, rendered } = video;
  const ids = (predicate: (object: SynthObject) => boolean) => scene.objects.filter(predicate).map((object) => object.id);
  const single = (inner: string): SynthObject => {
    const found = interpret(inner, video);
    expect(found, `"${inner}" must name one object`).toHaveLength(1);
    return scene.objects[found[0]];
  };
  let match: RegExpExecArray | null;
  if ((match = /^the (?:object hidden behind (.+) at the start|shape that is hidden behind (.+) at first)$/.exec(text))) {
    const front = single(match[1] ?? match[2]);
    const frontPixels = new Set(objectPixels(scene, front, 0));
    return ids((object) => {
      const pixels = objectPixels(scene, object, 0);
      return object.id < front.id && pixels.length > 0 && rendered.visibleArea[object.id][0] === 0 && pixels.every((pixel) => frontPixels.has(pixel));
    });
  }
  if ((match = /^the shapes? that ha(?:s|ve) the same colour as (.+)$/.exec(text))) {
    const reference = single(match[1]);
    return ids((object) => object.id !== reference.id && object.colour === reference.colour);
  }
  if (text === 'the object that makes a sound first' || text === 'the last object to start making a sound') {
    const onsets = scene.objects.flatMap((object) => (object.sound ? [object.sound.start] : []));
    const wanted = text.endsWith('first') ? Math.min(...onsets) : Math.max(...onsets);
    return ids((object) => object.sound?.start === wanted);
  }
  if ((match = /^(?:the object making|the shape that makes) (.+)$/.exec(text))) {
    const sound = match[1];
    if (sound === NEVER_HEARD_SOUND) return [];
    const tone = TONES.find((candidate) => candidate.phrase === sound);
    expect(tone, `unknown sound "${sound}"`).toBeDefined();
    return ids((object) => object.sound?.tone === tone?.name);
  }
  if ((match = /^all the (\w+)$/.exec(text))) return ids((object) => object.kind === KIND_BY_PLURAL.get(match![1]));
  if ((match = /^the (\w+) shapes$/.exec(text))) return ids((object) => object.colour === match![1]);
  if ((match = /^the (?:object|(?:(\w+) )?(\w+)) (that .+)$/.exec(text))) {
    const [, colour, kind, phrase] = match;
    return ids((object) => motionPhrase(object.motion) === phrase && (kind === undefined || object.kind === kind) && (colour === undefined || object.colour === colour));
  }
  if ((match = /^the (?:(small|medium-sized|large) )?(?:(\w+) )?(\w+)$/.exec(text))) {
    const [, sizeWord, colour, kind] = match;
    return ids(
      (object) =>
        object.kind === kind && (colour === undefined || object.colour === colour) && (sizeWord === undefined || object.size === SIZE_BY_WORD.get(sizeWord)),
    );
  }
  throw new Error(`no template reads "${text}"`);
}

const CATEGORY_TYPE: Record<string, number> = { appearance: 0, motion: 0, audio: 0, group: 0, occlusion: 1, 'sound-order': 1, 'same-colour': 1, null: 2 };

describe('synthetic expressions', () => {
  const mixed = smallVideos({ seeds: [0, 1, 2, 3, 4, 5, 6, 7], perSeed: 3 });

  it('each refers to exactly the objects it lists, read independently from the words', () => {
    for (const video of mixed) {
      for (const expression of video.expressions) expect(interpret(expression.text, video), `${video.scene.name}: ${expression.text}`).toEqual(expression.objectIds);
    }
  });

  it('sets type_id by kind (referring 0, reasoning 1) and every video has both, with an audio expression', () => {
    for (const video of mixed) {
      for (const expression of video.expressions) expect(expression.typeId).toBe(CATEGORY_TYPE[expression.category]);
      expect(video.expressions.some((expression) => expression.typeId === 0)).toBe(true);
      expect(video.expressions.some((expression) => expression.typeId === 1)).toBe(true);
      expect(video.expressions.some((expression) => expression.category === 'audio')).toBe(true);
      expect(new Set(video.expressions.map((expression) => expression.text)).size).toBe(video.expressions.length);
    }
    const categories = new Set(mixed.flatMap((video) => video.expressions.map((expression) => expression.category)));
    expect([...categories].sort()).toEqual(['appearance', 'audio', 'group', 'motion', 'occlusion', 'same-colour', 'sound-order']);
  });

  it('gives every tone to at most one object per video, inside a run of visible frames', () => {
    for (const video of mixed) {
      const tones = video.scene.objects.flatMap((object) => (object.sound ? [object.sound.tone] : []));
      expect(new Set(tones).size).toBe(tones.length);
      expect(tones.length).toBeGreaterThan(0);
      for (const object of video.scene.objects) {
        if (!object.sound) continue;
        expect(object.sound.end - object.sound.start).toBeGreaterThanOrEqual(2);
        for (let t = object.sound.start; t < object.sound.end; t += 1) expect(video.rendered.visibleArea[object.id][t]).toBeGreaterThan(0);
      }
    }
  });

  it('grounding descriptions name the same objects by their looks alone (kind, colour, size), shortest first', () => {
    let rewritten = 0;
    for (const video of mixed) {
      for (const expression of video.expressions) {
        if (expression.grounding === expression.text) continue;
        rewritten += 1;
        expect(expression.objectIds, expression.text).toHaveLength(1);
        expect(expression.grounding, expression.text).toMatch(/^the (?:(small|medium-sized|large) )?(?:(\w+) )?(\w+)$/);
        expect(interpret(expression.grounding, video), `${expression.text} -> ${expression.grounding}`).toEqual(expression.objectIds);
        // No shorter appearance description is unique: dropping the first word (size, then colour) is ambiguous.
        const words = expression.grounding.split(' ');
        if (words.length > 2) {
          const shorter = ['the', ...words.slice(2)].join(' ');
          expect(interpret(shorter, video).length, `${shorter} (for ${expression.grounding})`).not.toBe(1);
        }
      }
      for (const expression of video.expressions.filter((e) => e.category === 'group')) expect(expression.grounding).toBe(expression.text);
    }
    expect(rewritten).toBeGreaterThan(20);
  });

  it('null expressions match no object', () => {
    for (const video of smallVideos({ seeds: [0, 1, 2], perSeed: 2, role: 'null', unseenKind: 'exclude' })) {
      expect(video.expressions.length).toBeGreaterThan(0);
      for (const expression of video.expressions) {
        expect([expression.category, expression.typeId, expression.objectIds, expression.grounding]).toEqual(['null', 2, [], expression.text]);
        expect(interpret(expression.text, video), expression.text).toEqual([]);
      }
    }
  });

  it('unseen-split expressions all refer to an object of the held-out kind, which the seen splits never show', () => {
    for (const video of smallVideos({ seeds: [0, 1, 2], perSeed: 2, role: 'unseen', unseenKind: 'require' })) {
      expect(video.scene.objects.some((object) => object.kind === UNSEEN_KIND && object.sound)).toBe(true);
      for (const expression of video.expressions) {
        expect(expression.objectIds.some((id) => video.scene.objects[id].kind === UNSEEN_KIND)).toBe(true);
        expect(interpret(expression.text, video)).toEqual(expression.objectIds);
      }
    }
    for (const video of smallVideos({ seeds: [0, 1, 2], perSeed: 2, unseenKind: 'exclude' })) {
      expect(video.scene.objects.every((object) => object.kind !== UNSEEN_KIND)).toBe(true);
    }
  });
});
