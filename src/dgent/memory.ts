/** `MemoryDgent`: an ephemeral datum store in process memory (the native datum index, no log). */
import { callNative } from '../errors'
import { native } from '../native'
import { NativeDgentStore } from './native-dgent'

export class MemoryDgent extends NativeDgentStore {
  constructor() {
    super(callNative(() => new (native().NativeDgent)()), false)
  }
}
