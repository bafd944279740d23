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
