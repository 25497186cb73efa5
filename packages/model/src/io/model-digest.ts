import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import type { SavedModelArtifacts } from './read-model-artifacts.js';

/** The digest algorithm of saved cf models. */
export const MODEL_DIGEST_ALGORITHM = 'sha256';

/**
 * The SHA-256 (hex) that seals saved model artifacts: over the JSON text of `[format, generatedBy,
 * convertedBy, modelTopology with integrity.digest set to "", weightSpecs]` (key order as given,
 * so a reordered, added, removed or changed field changes it) followed by the weight bytes. Every
 * value a loader reads is covered; `integrity.digest` itself is what the result is compared with.
 * `@noble/hashes` (audited, synchronous, the same code in Node and browsers) computes it, since
 * WebCrypto is asynchronous and missing from pages served over plain http. `weights` may come in
 * parts (hashed in order, as one run of bytes).
 */
export function modelDigest(
  artifacts: Omit<SavedModelArtifacts, 'weightData'>,
  weights: Uint8Array | readonly Uint8Array[],
): string {
  const topology = artifacts.modelTopology as Record<string, unknown>;
  const integrity = topology['integrity'];
  const blanked = {
    ...topology,
    integrity:
      typeof integrity === 'object' && integrity !== null && !Array.isArray(integrity)
        ? { ...integrity, digest: '' }
        : integrity,
  };
  // absent and null differ (a removed field must change the digest)
  const field = (value: unknown): unknown => (value === undefined ? { absent: true } : value);
  const head = JSON.stringify([
    field(artifacts.format),
    field(artifacts.generatedBy),
    field(artifacts.convertedBy),
    blanked,
    artifacts.weightSpecs ?? null,
  ]);
  const hash = sha256.create();
  hash.update(new TextEncoder().encode(head));
  for (const part of weights instanceof Uint8Array ? [weights] : weights) hash.update(part);
  return bytesToHex(hash.digest());
}
