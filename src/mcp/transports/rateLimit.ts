/**
 * Requests per minute per client, as a token bucket: a client may burst up to its minute's worth, then gets one
 * request per 60/limit seconds. Buckets of clients that stopped calling are forgotten.
 */
export interface RateLimiter {
  /** undefined: admitted; otherwise the seconds after which one more request would be */
  readonly take: (client: string) => number | undefined
}

export const makeRateLimiter = (perMinute: number, now: () => number = Date.now): RateLimiter => {
  if (perMinute <= 0) return { take: () => undefined }
  const perMs = perMinute / 60_000
  const buckets = new Map<string, { tokens: number; at: number }>()
  let lastSweep = now()
  return {
    take: (client) => {
      const t = now()
      if (t - lastSweep > 60_000) {
        for (const [key, b] of buckets) if (t - b.at > 60_000) buckets.delete(key)
        lastSweep = t
      }
      const bucket = buckets.get(client) ?? { tokens: perMinute, at: t }
      bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs)
      bucket.at = t
      buckets.set(client, bucket)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return undefined
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000))
    }
  }
}
