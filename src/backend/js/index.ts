// The reference backend: plain TypeScript loops, float64 accumulation, no dependencies.
// It defines correct results for every other backend and runs anywhere JavaScript runs.
import type { Backend } from '../types.js';
import { gemm } from './gemm.js';
import { binary, binaryBackward, scale, gelu, geluBackward, silu, siluBackward, sumSquares } from './elementwise.js';
import { copyAxis, permute, embedding, embeddingBackward, sumAxis, broadcastAxis } from './layout.js';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward, softmax, softmaxBackward } from './norm.js';
import { attentionProbs, attentionProbsBackward, attendValues, attendValuesBackward } from './attention.js';
import { attendValuesInt8, attentionProbsInt8, dequantRows, gemmInt8 } from './int8.js';
import { rope, ropeBackward } from './rope.js';
import { crossEntropy, crossEntropyBackward, adamw } from './loss.js';

export const jsBackend: Backend = {
  name: 'js',
  gemm,
  gemmInt8,
  dequantRows,
  attentionProbsInt8,
  attendValuesInt8,
  binary,
  binaryBackward,
  scale,
  copyAxis,
  permute,
  embedding,
  embeddingBackward,
  layerNorm,
  layerNormBackward,
  rmsNorm,
  rmsNormBackward,
  gelu,
  geluBackward,
  silu,
  siluBackward,
  softmax,
  softmaxBackward,
  attentionProbs,
  attentionProbsBackward,
  attendValues,
  attendValuesBackward,
  rope,
  ropeBackward,
  crossEntropy,
  crossEntropyBackward,
  sumAxis,
  broadcastAxis,
  sumSquares,
  adamw,
};
