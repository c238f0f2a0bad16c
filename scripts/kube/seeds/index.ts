// Resolves the --seed argument: a built-in seed name or a path to a YAML/JSON seed file.
import fs from 'node:fs';
import path from 'node:path';
import { readSeedFile, type KubeSeed } from '../seed';
import { largeSeed } from './large';
import { sampleSeed } from './sample';

export const BUILT_IN_SEEDS = ['sample', 'large', 'none'] as const;

export function resolveSeed(seed: string | KubeSeed | undefined): KubeSeed {
  if (seed === undefined || seed === 'none') return { name: 'none' };
  if (typeof seed !== 'string') return seed;
  if (seed === 'sample') return sampleSeed();
  if (seed === 'large') return largeSeed();
  const file = path.resolve(seed);
  if (!fs.existsSync(file)) {
    throw new Error(`unknown seed "${seed}": use ${BUILT_IN_SEEDS.join(', ')} or the path of a YAML/JSON seed file (no file at ${file})`);
  }
  return readSeedFile(file);
}
