/**
 * `make(key)` computed once per key object and kept as long as the key lives: what a tool, an endpoint or a key
 * needs on every call (its decoder, its checks, its schemas) is built at its first use, not per call.
 */
export const oncePerObject = <K extends object, V>(make: (key: K) => V): ((key: K) => V) => {
  const made = new WeakMap<K, V>()
  return (key) => {
    if (made.has(key)) return made.get(key) as V
    const value = make(key)
    made.set(key, value)
    return value
  }
}

/**
 * `make(key)` computed once per string, for strings that come from a small set (endpoint templates, field names)
 * but may be invented by a hostile caller or answer: past `bound` distinct keys, new ones are computed each time and
 * not kept, so memory stays bounded.
 */
export const oncePerString = <V>(make: (key: string) => V, bound: number): ((key: string) => V) => {
  const made = new Map<string, V>()
  return (key) => {
    const known = made.get(key)
    if (known !== undefined) return known
    const value = make(key)
    if (made.size < bound) made.set(key, value)
    return value
  }
}
