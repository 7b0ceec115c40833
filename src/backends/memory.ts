/** The Memory tier: vectors in one contiguous native buffer, exact SIMD search, nothing persisted. */
import { ErrorCode, VgentError, callNative } from '../errors'
import { checkMetric } from '../metric'
import { native } from '../native'
import type { DistanceMetric } from '../types'
import { checkDimension } from '../validate'
import { NativeVectorStore } from './native-store'

export interface MemoryBackendOptions {
  dimension: number
  metric?: DistanceMetric
}

export class MemoryVectorBackend extends NativeVectorStore {
  constructor(opts: MemoryBackendOptions) {
    if (typeof opts !== 'object' || opts === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'MemoryVectorBackend needs options { dimension, metric? }')
    }
    const dimension = checkDimension(opts.dimension)
    const metric = checkMetric(opts.metric ?? 'cosine')
    const { NativeCollection } = native()
    super(dimension, metric, callNative(() => new NativeCollection(dimension, metric)))
  }
}
