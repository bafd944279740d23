/**
 * The two V8 flags the bench compares a bare launch with (the README's client configs passed them until the
 * command set its own limits, src/bin.ts).
 */
export const comparedNodeFlags = ["--max-semi-space-size=1", "--optimize-for-size"]
